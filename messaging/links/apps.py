from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "messaging.links"
    label = "links"
    verbose_name = "Short links"
