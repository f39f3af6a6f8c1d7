"""`emit()`: the one way an app announces something happened.

Call it inside the transaction of the change: the event row commits or rolls back with it, and the
webhook worker delivers only committed rows. Names are the constants each app declares in its
`events.py` and registers in `portal.core.events.registry`.

    from <app>.events import THING_HAPPENED
    from portal.core import events

    events.emit(account=account, type=THING_HAPPENED, payload=thing_payload)
"""

import json
import uuid
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from portal.core.events import registry
from portal.core.events.models import Event

# Bulk producers (DLR intake) pass thousands of events at once: COPY beats INSERT from this size.
_COPY_FROM = 200


@dataclass(frozen=True)
class Pending:
    """One event for `emit_many()`."""

    account_id: int
    type: str
    payload: dict
    webhook_id: str = ""
    identity: str = ""
    callback_url: str = ""


def emit(*, account, type, payload, webhook_id="", identity="", callback_url=""):
    """Record one event in the outbox; returns the Event.

    `webhook_id` sends it to that webhook (a send request's `webhook_id`) instead of the account's
    subscriptions; `identity` is the source subscriptions may filter on (`sender:<name>`,
    `number:<msisdn>`, `keyword:<id>`); `callback_url` also posts it to that URL (Engage `dlr.url`).
    Raises registry.UnknownEvent for a name that is not registered."""
    registry.get(type)
    return Event.objects.create(
        account=account,
        type=type,
        payload=payload,
        webhook_id=str(webhook_id or ""),
        identity=str(identity or ""),
        callback_url=str(callback_url or ""),
    )


def emit_many(events, *, created_at=None):
    """`emit()` for many events in one statement (COPY on PostgreSQL). Same rules, same outbox;
    returns how many were written."""
    events = list(events)
    for name in {e.type for e in events}:
        registry.get(name)
    if not events:
        return 0
    created_at = created_at or timezone.now()
    if connection.vendor == "postgresql" and len(events) >= _COPY_FROM:
        columns = "uuid, account_id, type, payload, webhook_id, identity, callback_url, created_at"
        with connection.cursor() as cursor, cursor.copy(f"COPY events_event ({columns}) FROM STDIN") as copy:
            for e in events:
                copy.write_row(
                    (
                        uuid.uuid4(),
                        e.account_id,
                        e.type,
                        json.dumps(e.payload),
                        e.webhook_id or "",
                        e.identity or "",
                        e.callback_url or "",
                        created_at,
                    )
                )
    else:
        Event.objects.bulk_create(
            [
                Event(
                    account_id=e.account_id,
                    type=e.type,
                    payload=e.payload,
                    webhook_id=e.webhook_id or "",
                    identity=e.identity or "",
                    callback_url=e.callback_url or "",
                    created_at=created_at,
                )
                for e in events
            ],
            batch_size=2000,
        )
    return len(events)
