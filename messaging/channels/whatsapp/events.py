"""The events the WhatsApp channel emits, registered by its app (`WhatsappChannelConfig.ready()`).
Payloads: ../shared/spec/webhooks.md, "WhatsApp Example Request"; delivery formats live with the
webhooks (`messaging/webhooks/formats.py`). `whatsapp:unsubscription` is the suppression lists'
(`messaging/events.py`)."""

from portal.core.events.registry import EventType

WHATSAPP_MESSAGE_IN = "whatsapp:message:in"
WHATSAPP_MESSAGE_STATUS = "whatsapp:message:status"

EVENT_TYPES = (
    EventType(WHATSAPP_MESSAGE_IN, "WhatsApp", "A user sent a message to the business number"),
    EventType(WHATSAPP_MESSAGE_STATUS, "WhatsApp", "WhatsApp delivery status changed"),
)
