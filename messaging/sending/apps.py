from django.apps import AppConfig


class SendingConfig(AppConfig):
    name = "messaging.sending"
    label = "sending"
