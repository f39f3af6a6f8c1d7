from django.apps import AppConfig


class WhatsappChannelConfig(AppConfig):
    name = "messaging.channels.whatsapp"
    label = "whatsapp_channel"
    verbose_name = "WhatsApp channel"

    def ready(self):
        from messaging.channels.whatsapp.adapter import WhatsappAdapter
        from messaging.channels.whatsapp.connector import CloudApiConnector
        from messaging.pipeline import channels, connectors

        channels.register(WhatsappAdapter())
        connectors.register_kind(CloudApiConnector.kind, CloudApiConnector)
