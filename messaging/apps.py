from django.apps import AppConfig

from messaging import events
from portal.core.events import registry


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from accounts import products
        from messaging.services.products import ProductDirectory

        products.register(ProductDirectory())
        registry.register(*events.EVENT_TYPES)
