"""The events messaging emits: channel delivery reports and incoming messages, unsubscriptions
(the suppression lists, every channel's), smart-link visits and the review desk's decisions.

Registered in `MessagingConfig.ready()`. A channel package registers its own message events
(`messaging/channels/whatsapp/events.py`); the unsubscription events stay here with the lists.
How each is delivered is in messaging/webhooks/formats.py.
"""

from portal.core.events.registry import EventType

SMS_MESSAGE_STATUS = "sms:message:status"
SMS_UNSUBSCRIPTION = "sms:unsubscription"
WHATSAPP_UNSUBSCRIPTION = "whatsapp:unsubscription"
RCS_MESSAGE_IN = "rcs:message:in"
RCS_MESSAGE_STATUS = "rcs:message:status"
RCS_UNSUBSCRIPTION = "rcs:unsubscription"
# Emitted by the suppression lists like the other channels' (the call records are voice's own).
VOICE_UNSUBSCRIPTION = "voice:unsubscription"
VIBER_MESSAGE_STATUS = "viber:message:status"
VIBER_MESSAGE_IN = "viber:message:in"
VIBER_UNSUBSCRIPTION = "viber:unsubscription"
VMN_MESSAGE_IN = "vmn:message:in"
LINK_VISIT = "link:visit"
SENDER_REVIEWED = "portal:sender:reviewed"
TEMPLATE_REVIEWED = "portal:template:reviewed"

EVENT_TYPES = (
    EventType(SMS_MESSAGE_STATUS, "SMS", "Delivery or non-delivery of an SMS"),
    EventType(SMS_UNSUBSCRIPTION, "SMS", "A number opted out of SMS"),
    EventType(WHATSAPP_UNSUBSCRIPTION, "WhatsApp", "A number opted out of WhatsApp"),
    EventType(RCS_MESSAGE_IN, "RCS", "An incoming RCS message"),
    EventType(RCS_MESSAGE_STATUS, "RCS", "RCS delivery update"),
    EventType(RCS_UNSUBSCRIPTION, "RCS", "A number opted out of RCS"),
    EventType(VOICE_UNSUBSCRIPTION, "Voice", "A number opted out of calls"),
    EventType(VIBER_MESSAGE_STATUS, "Viber", "Viber delivery update"),
    EventType(VIBER_MESSAGE_IN, "Viber", "A user sent a message to the Viber account"),
    EventType(VIBER_UNSUBSCRIPTION, "Viber", "A number opted out of Viber"),
    EventType(VMN_MESSAGE_IN, "Interact (VMN)", "An inbound SMS on a virtual number or keyword"),
    # The callback is catalogued, its event name is not.
    EventType(LINK_VISIT, "Smart links", "A smart link created with a webhook_id was visited", catalogued=False),
    EventType(SENDER_REVIEWED, "Portal", "Staff approved or rejected a sender ID", catalogued=False),
    EventType(TEMPLATE_REVIEWED, "Portal", "Staff approved or rejected a DLT template", catalogued=False),
)
