from django.apps import AppConfig

from portal.core.events import registry
from voice import events


class VoiceConfig(AppConfig):
    name = "voice"

    def ready(self):
        registry.register(*events.EVENT_TYPES)
