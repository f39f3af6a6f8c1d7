from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from portal.core.events import registry

        from . import events, signals  # noqa: F401

        registry.register(*events.EVENT_TYPES)
