from django.apps import AppConfig


class SmsChannelConfig(AppConfig):
    name = "messaging.channels.sms"
    label = "sms_channel"
    verbose_name = "SMS channel"

    def ready(self):
        from messaging.channels.sms.adapter import SmsAdapter
        from messaging.pipeline import channels

        channels.register(SmsAdapter())
