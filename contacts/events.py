"""The events contacts emits. Registered in `ContactsConfig.ready()`; how each is delivered is in
messaging/webhooks/formats.py."""

from portal.core.events.registry import EventType

CONTACTS_SUBSCRIBER_SUBSCRIPTION = "contacts:subscriber:subscription"

EVENT_TYPES = (EventType(CONTACTS_SUBSCRIBER_SUBSCRIPTION, "Contacts", "A contact was created or updated"),)
