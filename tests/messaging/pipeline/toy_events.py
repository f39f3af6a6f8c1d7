"""The toy channel's status event, registered the way a channel package registers its events,
and taken away again so no other test sees it."""

from contextlib import contextmanager

from portal.core.events import registry

TOY_STATUS = registry.EventType(
    name="toy:message:status", product="toy", description="A toy message's status changed.", catalogued=False
)


@contextmanager
def toy_event():
    registry.register(TOY_STATUS)
    try:
        yield TOY_STATUS
    finally:
        registry._registered.pop(TOY_STATUS.name, None)
