from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from accounts import products
        from messaging.services.catalog import ProductCatalog

        products.register(ProductCatalog())
