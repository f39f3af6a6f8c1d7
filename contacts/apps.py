from django.apps import AppConfig

from contacts import events
from portal.core.events import registry


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self):
        registry.register(*events.EVENT_TYPES)
