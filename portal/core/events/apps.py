from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "portal.core.events"
    label = "events"
    verbose_name = "Event outbox"
