from django.apps import AppConfig


class SendersConfig(AppConfig):
    name = "messaging.senders"
    label = "senders"
