from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "messaging.events"
    label = "events"
    verbose_name = "Event outbox"
