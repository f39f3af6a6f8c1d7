from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "messaging.pricing"
    label = "pricing"
