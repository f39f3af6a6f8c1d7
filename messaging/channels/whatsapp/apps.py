from django.apps import AppConfig


class WhatsappChannelConfig(AppConfig):
    name = "messaging.channels.whatsapp"
    label = "whatsapp_channel"
    verbose_name = "WhatsApp channel"

    def ready(self):
        from messaging.channels.whatsapp import events
        from messaging.channels.whatsapp.adapter import WhatsappAdapter
        from messaging.channels.whatsapp.connector import CloudApiConnector
        from messaging.pipeline import channels, connectors
        from portal.core.events import registry

        registry.register(*events.EVENT_TYPES)
        channels.register(WhatsappAdapter())
        connectors.register_kind(CloudApiConnector.kind, CloudApiConnector)
