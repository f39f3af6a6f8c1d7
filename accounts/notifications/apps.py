from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "accounts.notifications"
    label = "notifications"
    verbose_name = "In-portal notifications"
