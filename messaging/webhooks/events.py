"""The event the webhooks app emits itself. Registered in `WebhooksConfig.ready()`."""

from portal.core.events.registry import EventType

WEBHOOK_TEST = "portal:webhook:test"

EVENT_TYPES = (
    # Sent to one webhook from its page (or the API's test endpoint); nobody subscribes to it.
    EventType(WEBHOOK_TEST, "Portal", "A test event sent from the webhooks page", catalogued=False, subscribable=False),
)
