from django.apps import AppConfig

from messaging.webhooks import events
from portal.core.events import registry


class WebhooksConfig(AppConfig):
    name = "messaging.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        registry.register(*events.EVENT_TYPES)
