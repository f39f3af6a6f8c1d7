from django.apps import AppConfig


class BrandsConfig(AppConfig):
    name = "accounts.brands"
    label = "brands"
    verbose_name = "White-label brands and their domains"

    def ready(self):
        from . import signals  # noqa: F401
