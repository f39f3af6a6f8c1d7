"""The delivery-rate alert: when the last 24 hours' delivery rate falls below the threshold an
account set, it gets a notification and an event (once, until the rate recovers or a day passes)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts.notifications.models import Level
from accounts.notifications.services import notify
from messaging.reports.dashboard import DELIVERED
from messaging.reports.events import DELIVERY_RATE_LOW
from messaging.reports.models import MessageRollup, ReportSettings
from portal.core import events

WINDOW = timedelta(hours=24)
REPEAT_AFTER = timedelta(days=1)


def delivery_rate(account, since):
    """(delivered, with an outcome) among messages submitted since `since`."""
    found = (
        MessageRollup.objects.for_account(account)
        .filter(hour__gte=since, pending=False)
        .aggregate(final=Sum("messages"), delivered=Sum(DELIVERED))
    )
    return found["delivered"] or 0, found["final"] or 0


def check_all(now=None):
    now = now or timezone.now()
    alerted = 0
    for settings_row in ReportSettings.objects.filter(delivery_rate_threshold__isnull=False).select_related("account"):
        alerted += check(settings_row, now)
    return alerted


def check(settings_row, now):
    account = settings_row.account
    delivered, final = delivery_rate(account, now - WINDOW)
    if final < settings_row.alert_min_messages:
        return 0
    rate = 100 * delivered / final
    if rate >= settings_row.delivery_rate_threshold:
        if settings_row.alert_active:
            settings_row.alert_active = False
            settings_row.save(update_fields=["alert_active"])
        return 0
    recent = settings_row.alerted_at and now - settings_row.alerted_at < REPEAT_AFTER
    if settings_row.alert_active and recent:
        return 0
    with transaction.atomic():
        settings_row.alert_active, settings_row.alerted_at = True, now
        settings_row.save(update_fields=["alert_active", "alerted_at"])
        threshold = settings_row.delivery_rate_threshold
        notify(
            account=account,
            title=f"Delivery rate {rate:.1f}% is below your {threshold}% threshold",
            body=f"{delivered} of {final} messages with an outcome in the last 24 hours were delivered.",
            link=reverse("reports:dashboard") + "?period=today",
            level=Level.WARNING,
        )
        events.emit(
            account=account,
            type=DELIVERY_RATE_LOW,
            payload={
                "delivery_rate": round(rate, 1),
                "threshold": float(threshold),
                "delivered": delivered,
                "with_outcome": final,
                "window_hours": 24,
                "at": now.isoformat(),
            },
        )
    return 1
