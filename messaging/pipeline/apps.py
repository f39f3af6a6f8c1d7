from django.apps import AppConfig


class SendingConfig(AppConfig):
    name = "messaging.pipeline"
    label = "sending"  # the original label: tables and migrations keep their names
    verbose_name = "Message pipeline"

    def ready(self):
        # Register the pipeline's Celery tasks in every process (web too): the pipeline queues
        # them by name, so nothing else imports the tasks module.
        from messaging.pipeline import tasks  # noqa: F401
