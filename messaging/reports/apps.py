from django.apps import AppConfig

from messaging.reports import events
from portal.core.events import registry


class ReportsConfig(AppConfig):
    name = "messaging.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self):
        registry.register(*events.EVENT_TYPES)
