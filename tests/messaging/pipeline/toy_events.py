"""The toy channel's status event, registered the way a channel package registers its events."""

from portal.core.events import registry

TOY_STATUS = registry.EventType(
    name="toy:message:status", product="toy", description="A toy message's status changed.", catalogued=False
)


def register_toy_event():
    try:
        registry.get(TOY_STATUS.name)
    except registry.UnknownEvent:
        registry.register(TOY_STATUS)
