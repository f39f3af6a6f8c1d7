"""The events reports emit (registered in ReportsConfig.ready())."""

from portal.core.events.registry import EventType

DELIVERY_RATE_LOW = "portal:report:delivery_rate_low"

EVENT_TYPES = (
    EventType(
        DELIVERY_RATE_LOW,
        "Portal",
        "The delivery rate of the last 24 hours fell below the account's threshold",
        catalogued=False,
    ),
)
