from django.apps import AppConfig

from portal.core.events import registry
from voice import events


class VoiceConfig(AppConfig):
    name = "voice"

    def ready(self):
        registry.register(*events.EVENT_TYPES)
        # Tasks are queued by name (services/dispatch.py); importing them here registers them.
        from voice import tasks  # noqa: F401, PLC0415
