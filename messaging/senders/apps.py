from django.apps import AppConfig


class SendersConfig(AppConfig):
    name = "messaging.senders"
    label = "senders"

    def ready(self):
        from accounts.brands import readiness
        from messaging.senders.readiness import senders_section

        readiness.register(senders_section)
