from django.apps import AppConfig


class SuppressionsConfig(AppConfig):
    name = "messaging.suppressions"
    label = "suppressions"
