"""The 24-hour customer-service window per (business number, customer).

A customer's inbound message opens or refreshes it; while it is open any message may go
(free-form or template), after it closes only approved Meta templates. The scrub rule reads the
open windows of a request's business numbers in one query (`open_for`)."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from messaging.channels.whatsapp.models import ServiceWindow

LENGTH = timedelta(hours=24)
_UPSERT = """
INSERT INTO whatsapp_channel_servicewindow AS w (account_id, number_id, customer, last_inbound_at, expires_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (number_id, customer) DO UPDATE
   SET last_inbound_at = GREATEST(EXCLUDED.last_inbound_at, w.last_inbound_at),
       expires_at = GREATEST(EXCLUDED.expires_at, w.expires_at)
"""


def refresh(number, customer, at):
    """Open or extend the window from `at` (an inbound message's time); an older message (a late
    webhook) never shortens it."""
    expires = at + LENGTH
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [number.account_id, number.pk, customer, at, expires])
        return expires
    window, created = ServiceWindow.objects.get_or_create(
        number=number,
        customer=customer,
        defaults={"account_id": number.account_id, "last_inbound_at": at, "expires_at": expires},
    )
    if not created and window.expires_at < expires:
        ServiceWindow.objects.filter(pk=window.pk).update(last_inbound_at=at, expires_at=expires)
    return max(expires, window.expires_at)


def open_for(account, number_ids, now):
    """{(number id, customer): expires_at} of the windows open now."""
    rows = ServiceWindow.objects.for_account(account).filter(number_id__in=list(number_ids), expires_at__gt=now)
    return {(n, c): e for n, c, e in rows.values_list("number_id", "customer", "expires_at")}


def remaining(number, customer, now=None):
    """How long the window stays open (a timedelta, zero when closed)."""
    now = now or timezone.now()
    expires = (
        ServiceWindow.objects.filter(number=number, customer=customer).values_list("expires_at", flat=True).first()
    )
    return max(expires - now, timedelta(0)) if expires else timedelta(0)
