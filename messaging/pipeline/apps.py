from django.apps import AppConfig


class SendingConfig(AppConfig):
    name = "messaging.pipeline"
    label = "sending"
