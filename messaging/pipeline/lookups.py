"""Asking a supplier again about messages whose receipt is overdue.

A receipt can be lost on our side: the task carrying it was held by a worker that died (Redis
hands it out again only after the visibility timeout), the broker was flushed, or the supplier's
push reached no one. The database still knows every such message: `submitted`, no final status.
The sweeper finds those older than ASK_AFTER and this module asks their connector
(`connector.lookup`, a read) and applies the answers through the receipts path, which only moves
a message forward; so asking twice, or a late receipt after an answer, changes nothing.

A message still without an outcome is asked again when it has waited as long again as it had
when last asked (10 min, 20 min, 40 min ... after it was sent), so a supplier is asked about a
slow message a handful of times, not every sweep, until DLR_TIMEOUT_HOURS; after that only a
late receipt moves it.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.utils import timezone

from messaging.pipeline import connectors, receipts
from messaging.pipeline.connectors.base import Reference
from messaging.pipeline.models import Message, State

ASK_AFTER = timedelta(minutes=10)
CHUNK = 1000
BUDGET_SECONDS = 50  # one task's share of a worker; the next sweep carries on


def overdue(now):
    """Messages whose receipt is overdue at `now` and that are due to be asked about."""
    last_word = F("updated_at")
    waited_as_long_again = ExpressionWrapper(last_word + (last_word - F("dispatched_at")), output_field=DateTimeField())
    return (
        Message.objects.filter(
            Q(state=State.SUBMITTED)
            & Q(updated_at__lt=now - ASK_AFTER)
            & Q(dispatched_at__gte=now - timedelta(hours=settings.DLR_TIMEOUT_HOURS))
        )
        .alias(asked_again_at=waited_as_long_again)
        .filter(asked_again_at__lt=now)
    )


def can_ask(supplier, channel):
    """Whether the connector that holds these messages answers lookups."""
    try:
        return hasattr(connectors.by_name(supplier, channel), "lookup")
    except connectors.UnknownConnector:  # removed since: nobody left to ask
        return False


def check_receipts(supplier, channel, now=None, *, budget=BUDGET_SECONDS):
    """Ask `supplier` about this channel's overdue messages, a chunk at a time, and apply what it
    answers. `now` (an ISO time; default now) is the sweeper's clock. Returns
    {"asked": n, "moved": m}."""
    now = datetime.fromisoformat(now) if isinstance(now, str) else now or timezone.now()
    conn = connectors.by_name(supplier, channel)
    if not hasattr(conn, "lookup"):
        return {"asked": 0, "moved": 0}
    asked = moved = 0
    after = 0  # walk forward by id: rows just asked about are not asked again in this run
    stop_at = time.monotonic() + budget
    while time.monotonic() < stop_at:
        references = _claim(supplier, channel, now=now, after=after)
        if not references:
            break
        after = references[-1].id
        answers = conn.lookup(references)
        settled = [
            (answer.supplier_message_id or reference.supplier_message_id, answer.status, answer.code)
            for reference, answer in zip(references, answers, strict=True)
            if answer is not None and answer.status
        ]
        asked += len(references)
        if settled:
            moved += receipts.apply_receipts(channel=channel, supplier=conn.name, receipts=settled)
    return {"asked": asked, "moved": moved}


def _claim(supplier, channel, *, now, after):
    """Up to CHUNK overdue messages (id order, after `after`), marked as asked about now (their
    `updated_at`), so a duplicated task or the next sweep skips them until they are due again."""
    with transaction.atomic():
        rows = list(
            overdue(now)
            .filter(supplier=supplier, channel=channel, id__gt=after)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "supplier_message_id")[:CHUNK]
        )
        if rows:
            Message.objects.filter(pk__in=[pk for pk, _ in rows]).update(updated_at=timezone.now())
    return [Reference(pk, sid) for pk, sid in rows]
