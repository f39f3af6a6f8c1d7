"""Fan-out: turn committed outbox events into deliveries.

An event goes to the webhook named on it (the request's `webhook_id`) when that webhook exists;
otherwise to every active webhook of the account subscribed to the event for `all` or for the
event's identity. A per-message callback URL (Engage `dlr.url`) gets its own delivery as well.
Events are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so two workers never fan out the same one.
"""

import uuid
from collections import namedtuple
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from messaging.webhooks.models import Delivery, Subscription, Webhook
from messaging.webhooks.render import is_wrapped
from portal.core.events import registry
from portal.core.events.models import Event


def endpoint_of(url):
    """scheme://host:port: the unit that per-endpoint concurrency limits apply to."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return url[:300]
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"[:300]


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


def _delivery(event, *, webhook=None, subscription=None, url, wrapped, now):
    return Delivery(
        account_id=event.account_id,
        event_id=event.pk,
        event_type=event.type,
        webhook=webhook,
        subscription_id=subscription.pk if subscription else None,
        url=url,
        endpoint=endpoint_of(url),
        wrapped=wrapped,
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        next_attempt_at=now,
    )


def delivery_to(event, webhook, *, wrapped, now=None):
    """One unsaved delivery of `event` to `webhook` (a test event skips fan-out)."""
    return _delivery(event, webhook=webhook, url=webhook.uri, wrapped=wrapped, now=now or timezone.now())


def targets(events, *, now=None):
    """Deliveries (unsaved) for `events`: two queries however many events there are."""
    now = now or timezone.now()
    named = {(e.account_id, u) for e in events if (u := _uuid_or_none(e.webhook_id))}
    webhooks = {}
    if named:
        rows = Webhook.objects.filter(uuid__in={u for _, u in named}, account_id__in={a for a, _ in named})
        webhooks = {(w.account_id, w.uuid): w for w in rows}
    wanted = {(e.account_id, e.type) for e in events}
    subscriptions = {}
    if wanted:
        rows = Subscription.objects.filter(
            account_id__in={a for a, _ in wanted}, event__in={t for _, t in wanted}, webhook__is_active=True
        ).select_related("webhook")
        for s in rows:
            subscriptions.setdefault((s.account_id, s.event), []).append(s)
    out = []
    for event in events:
        named_hook = webhooks.get((event.account_id, _uuid_or_none(event.webhook_id)))
        if named_hook is not None:
            if named_hook.is_active:
                url = named_hook.uri
                out.append(
                    _delivery(
                        event, webhook=named_hook, url=url, now=now, wrapped=is_wrapped(event.type, by_webhook_id=True)
                    )
                )
        else:
            seen = set()
            for s in subscriptions.get((event.account_id, event.type), []):
                if s.identity not in ("all", event.identity) or s.webhook_id in seen:
                    continue
                seen.add(s.webhook_id)
                out.append(
                    _delivery(
                        event,
                        webhook=s.webhook,
                        subscription=s,
                        url=s.webhook.uri,
                        now=now,
                        wrapped=is_wrapped(event.type, by_webhook_id=False),
                    )
                )
        if event.callback_url:
            out.append(_delivery(event, url=event.callback_url, now=now, wrapped=False))
    return out


# What fan-out reads of an event: rows as tuples, not model instances (thousands per turn).
Claimed = namedtuple("Claimed", "pk account_id type webhook_id identity callback_url")


def fan_out(*, limit=1000, now=None):
    """Process up to `limit` unprocessed events; returns (events, deliveries) counts."""
    with transaction.atomic():
        rows = (
            Event.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True)
            .order_by("id")
            .values_list("id", "account_id", "type", "webhook_id", "identity", "callback_url")[:limit]
        )
        events = [Claimed(*row) for row in rows]
        if not events:
            return 0, 0
        known = {e.name for e in registry.all()}
        deliveries = targets([e for e in events if e.type in known], now=now)
        Delivery.objects.bulk_create(deliveries, batch_size=2000)
        _mark_processed([e.pk for e in events])
    return len(events), len(deliveries)


def _mark_processed(ids):
    if connection.vendor == "postgresql":
        # One array, not an IN list of thousands of placeholders for psycopg to parse each turn.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Event._meta.db_table)
            cursor.execute(f"UPDATE {table} SET processed_at = %s WHERE id = ANY(%s)", [timezone.now(), ids])  # noqa: S608
    else:
        Event.objects.filter(pk__in=ids).update(processed_at=timezone.now())
