"""The events accounts emits, registered in `AccountsConfig.ready()`; how each is delivered is in
messaging/webhooks/formats.py."""

from portal.core.events.registry import EventType

BALANCE_LOW = "portal:balance:low"

EVENT_TYPES = (
    EventType(BALANCE_LOW, "Account", "The credit balance fell below your alert threshold", catalogued=False),
)
