from django.apps import AppConfig


class WhatsappChannelConfig(AppConfig):
    name = "messaging.channels.whatsapp"
    label = "whatsapp_channel"
    verbose_name = "WhatsApp channel"

    def ready(self):
        from accounts.brands import readiness
        from messaging.channels.whatsapp import events
        from messaging.channels.whatsapp.adapter import WhatsappAdapter
        from messaging.channels.whatsapp.connector import CloudApiConnector
        from messaging.channels.whatsapp.readiness import whatsapp_section
        from messaging.pipeline import channels, connectors
        from portal.core import edge
        from portal.core.events import registry

        registry.register(*events.EVENT_TYPES)
        readiness.register(whatsapp_section)
        channels.register(WhatsappAdapter())
        connectors.register_kind(CloudApiConnector.kind, CloudApiConnector)
        # The provider's webhooks on the edge server (webhook_edge.py).
        edge.register("/whatsapp/cloud/webhook", "messaging.channels.whatsapp.webhook_edge.WebhookRoute")
