from celery import shared_task

from messaging.webhooks import retention, verification, worker
from messaging.webhooks.models import Webhook


@shared_task(ignore_result=True)
def deliver_webhooks(seconds=None):
    """Beat runs this every 2 s: fan out new events and deliver what is due, then return when idle.
    Several can run at once (claims skip each other's rows)."""
    return worker.run(seconds=seconds)


@shared_task(ignore_result=True)
def verify_webhook(webhook_id):
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is not None and webhook.needs_verification:
        verification.verify(webhook=webhook)


@shared_task(ignore_result=True)
def purge_delivery_log():
    """Daily: drop finished deliveries (and their attempts) older than WEBHOOK_LOG_RETENTION_DAYS."""
    return retention.purge_delivery_log()
