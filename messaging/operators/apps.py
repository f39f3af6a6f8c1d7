from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    name = "messaging.operators"
    label = "operators"
    verbose_name = "Mobile operators"
