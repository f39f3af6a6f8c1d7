"""Delivery-log retention (the daily `purge_delivery_log` task)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging.webhooks.models import Delivery, DeliveryStatus


def purge_delivery_log(*, now=None, batch=5000):
    """Delete delivered and failed deliveries older than the retention, in batches so the table
    is never locked for long; open ones are kept whatever their age. Returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    removed = 0
    while True:
        ids = list(
            Delivery.objects.filter(
                created_at__lt=cutoff, status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]
            ).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return removed
        Delivery.objects.filter(pk__in=ids).delete()
        removed += len(ids)
