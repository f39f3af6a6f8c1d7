"""Handing queued messages to a connector, a chunk at a time, at the connector's rate.

A chunk is claimed (queued → submitting) and committed before the supplier is called, and moved
on (→ submitted, or rejected and refunded) in a second transaction after it answers; no row lock
is held across the supplier call. A duplicated task finds nothing left to claim. A worker that
dies between the two leaves the chunk `submitting`: the sweeper hands it to the connector again
with the same message ids, which an idempotent connector (the simulator, HTTP suppliers with a
client reference) accepts only once.
"""

import json
import logging
from collections import namedtuple
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.services import credits
from messaging.pipeline import channels, connectors, receipts, throttle
from messaging.pipeline.connectors.base import Reference
from messaging.pipeline.models import Batch, Message, Priority, State
from messaging.pipeline.status import Progress
from messaging.reports import rollups
from portal.core import events

log = logging.getLogger(__name__)

CHUNK = 1000

SUBMIT_FIELDS = (
    "id",
    "batch_id",
    "index",
    "mobile",
    "sender",
    "text",
    "encoding",
    "units",
    "flash",
    "port",
    "charges",
    "priority",
    "content",
)


class Claimed(namedtuple("Claimed", SUBMIT_FIELDS)):
    """A claimed message as connectors see it: a tuple, since a model instance per message costs
    more than the dispatch itself."""

    __slots__ = ()

    @property
    def pk(self):
        return self.id


def dispatch(batch_id, connector_name=None):
    """Send a batch's queued messages through its connector (the channel's default unless named)."""
    channel = Batch.objects.filter(pk=batch_id).values_list("channel", flat=True).first()
    if channel is None:
        return
    conn = connectors.by_name(connector_name, channel) if connector_name else connectors.for_channel(channel)
    after = 0  # walk the batch forward: rescanning submitted rows would make this quadratic
    while True:
        messages = claim(batch_id, after=after, supplier=conn.name, now=timezone.now())
        if not messages:
            return
        granted = throttle.take(conn, len(messages), bulk=messages[0].priority == Priority.BULK)
        if granted < len(messages):  # the rest waits for the next round
            release(messages[granted:])
            messages = messages[:granted]
        after = messages[-1].index
        submit_chunk(conn, batch_id, messages)


# Pick and claim a chunk in one statement (its own transaction): the row locks last only as long
# as the UPDATE, and rows another worker holds are skipped, not waited for.
_CLAIM = f"""
UPDATE sending_message SET state = %s, progress = %s, supplier = %s, dispatched_at = %s, updated_at = %s
 WHERE id IN (SELECT id FROM sending_message
               WHERE batch_id = %s AND state = %s AND index > %s
               ORDER BY index LIMIT %s FOR UPDATE SKIP LOCKED)
RETURNING {", ".join(SUBMIT_FIELDS)}
"""  # noqa: S608 - fixed column names


def claim(batch_id, *, after, supplier, now, limit=None):
    """Move up to CHUNK queued messages of a batch (after index `after`) to `submitting` and
    return them in index order."""
    limit = limit or CHUNK
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _CLAIM,
                [State.SUBMITTING, Progress.DISPATCHED, supplier, now, now, batch_id, State.QUEUED, after, limit],
            )
            rows = cursor.fetchall()
        # Django leaves jsonb undecoded on raw cursors (JSONField decodes it): decode it here.
        content_at = len(SUBMIT_FIELDS) - 1
        claimed = [
            Claimed(
                *row[:content_at], json.loads(row[content_at]) if isinstance(row[content_at], str) else row[content_at]
            )
            for row in rows
        ]
        return sorted(claimed, key=lambda m: m.index)
    with transaction.atomic():
        messages = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(batch_id=batch_id, state=State.QUEUED, index__gt=after)
            .order_by("index")
            .only(*SUBMIT_FIELDS)[:limit]
        )
        Message.objects.filter(pk__in=[m.pk for m in messages], state=State.QUEUED).update(
            state=State.SUBMITTING, progress=Progress.DISPATCHED, supplier=supplier, dispatched_at=now, updated_at=now
        )
    return messages


def release(messages):
    """Give claimed messages back to the queue (the send rate had no room for them)."""
    Message.objects.filter(pk__in=[m.pk for m in messages], state=State.SUBMITTING).update(
        state=State.QUEUED, progress=Progress.QUEUED, supplier="", dispatched_at=None, updated_at=timezone.now()
    )


def submit_chunk(conn, batch_id, messages):
    """Call the supplier for claimed messages, then record what it said in one transaction."""
    results = conn.submit(messages)  # a supplier id per message, or None when it refused one
    with transaction.atomic():
        taken = [(m, sid) for m, sid in zip(messages, results, strict=True) if sid]
        refused = [m for m, sid in zip(messages, results, strict=True) if not sid]
        codes = {m.pk: sid.code for m, sid in zip(messages, results, strict=True) if getattr(sid, "code", "")}
        if taken:
            supplier_ids = [sid for _, sid in taken]
            adapter = channels.get(conn.channel)
            moved = mark_submitted(
                [m for m, _ in taken],
                supplier_ids,
                supplier=conn.name,
                now=timezone.now(),
                progress=adapter.submitted_progress,
                status=adapter.submitted_status,
            )
            if moved and hasattr(conn, "schedule_receipts"):
                transaction.on_commit(lambda ids=supplier_ids: conn.schedule_receipts(ids))
        if refused:
            refund_refused(batch_id, refused, codes=codes)


def resubmit_stuck(batch_id, connector_name="simulator", claimed_before=None):
    """Recover messages a worker left `submitting` (claimed before `claimed_before`, an ISO time;
    default five minutes ago): the worker died between handing a chunk over and recording it.

    A connector that can be asked (`lookup`) says which of them it holds: those are recorded with
    its id (and its status applied as a receipt), the rest were never handed over and go out now.
    A connector that cannot be asked but deduplicates (`idempotent`) is handed the chunk again.
    One that can do neither would risk a double send: its messages stay `submitting` for an
    operator. Returns how many messages were recovered."""
    channel = Batch.objects.filter(pk=batch_id).values_list("channel", flat=True).first()
    if channel is None:
        return 0
    conn = connectors.by_name(connector_name, channel)
    can_ask = hasattr(conn, "lookup")
    if not (can_ask or getattr(conn, "idempotent", False)):
        log.warning(
            "Batch %s: messages left submitting on %s, which neither answers nor deduplicates", batch_id, conn.name
        )
        return 0
    now = timezone.now()
    cutoff = datetime.fromisoformat(claimed_before) if claimed_before else now - timedelta(minutes=5)
    cutoff = min(cutoff, now)  # rows this run re-claims are never taken again by it
    recovered = 0
    while messages := _reclaim(batch_id, conn.name, cutoff):
        recovered += len(messages)
        if can_ask:
            answers = conn.lookup([Reference(m.pk) for m in messages])
            held = [(m, answer) for m, answer in zip(messages, answers, strict=True) if answer is not None]
            messages = [m for m, answer in zip(messages, answers, strict=True) if answer is None]
            if held:
                record_held(conn, channel, held)
        if messages:
            hand_over(conn, batch_id, messages)
    return recovered


def _reclaim(batch_id, supplier, cutoff):
    """Up to CHUNK messages left `submitting` since before `cutoff`, claimed afresh (a new claim
    time) so a second sweeper run, or the next round of this one, does not take them too."""
    now = timezone.now()
    with transaction.atomic():
        messages = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(batch_id=batch_id, state=State.SUBMITTING, supplier=supplier, dispatched_at__lt=cutoff)
            .order_by("index")
            .only(*SUBMIT_FIELDS)[:CHUNK]
        )
        Message.objects.filter(pk__in=[m.pk for m in messages]).update(dispatched_at=now, updated_at=now)
    return messages


def record_held(conn, channel, held):
    """Messages the supplier says it holds (message, SupplierStatus): recorded as submitted with its
    id, and the status it has reached applied through the receipts path, in one transaction."""
    adapter = channels.get(channel)
    with transaction.atomic():
        mark_submitted(
            [m for m, _ in held],
            [answer.supplier_message_id for _, answer in held],
            supplier=conn.name,
            now=timezone.now(),
            progress=adapter.submitted_progress,
            status=adapter.submitted_status,
        )
        settled = [(answer.supplier_message_id, answer.status, answer.code) for _, answer in held if answer.status]
        if settled:
            receipts.apply_receipts(channel=channel, supplier=conn.name, receipts=settled)


def hand_over(conn, batch_id, messages):
    """Submit claimed messages at the connector's rate, as much of each second as it allows."""
    while messages:
        granted = throttle.take(conn, len(messages), bulk=messages[0].priority == Priority.BULK)
        submit_chunk(conn, batch_id, messages[:granted])
        messages = messages[granted:]


def refund_refused(batch_id, messages, codes=None):
    """Messages the supplier refused after payment: final as the channel's supplier refusal (with
    the supplier's own code where it gave one, `codes` by message id), their charges refunded
    through the ledger once (the refund's key names exactly these), and a status event each, as
    for any other final status. Only rows still `submitting` move, so a chunk recorded twice
    refunds and announces once."""
    ids = [m.pk for m in messages]
    claimed = Message.objects.select_for_update(of=("self",)).filter(pk__in=ids, state=State.SUBMITTING)
    found = list(claimed.values_list("pk", *receipts.FINALISED_FIELDS))
    rows = [receipts.Finalised(*row[1:]) for row in found]
    if not rows:
        return
    batch = Batch.objects.select_related("account").get(pk=batch_id)
    adapter = channels.get(batch.channel)
    refusal = adapter.supplier_refusal()
    now = timezone.now()
    moving = Message.objects.filter(pk__in=ids, state=State.SUBMITTING)  # locked above
    rollups.record_changed(moving, status=refusal.status, code=refusal.code, final=True, refund=True)
    Message.objects.filter(pk__in=ids, state=State.SUBMITTING).update(
        state=State.FINAL,
        progress=Progress.FAILED,
        status=refusal.status,
        status_code=refusal.code,
        delivered_at=now,
        updated_at=now,
    )
    codes = codes or {}
    by_code = {}
    for row in found:
        by_code.setdefault(codes.get(row[0], refusal.code)[:10], []).append(row)
    for code, group in by_code.items():
        if code != refusal.code:
            Message.objects.filter(pk__in=[r[0] for r in group]).update(status_code=code)
        finalised = [receipts.Finalised(*r[1:]) for r in group]
        events.emit_many(adapter.status_events(finalised, refusal.status, now, code=code), created_at=now)
    amount = sum((row.charges for row in rows), Decimal(0))
    if amount > 0:
        first, last = min(row.index for row in rows), max(row.index for row in rows)
        credits.refund(
            account=batch.account,
            amount=amount,
            reason=f"Refused by the supplier: {len(rows)} of {adapter.label} {batch.uuid}",
            reference=str(batch.uuid),
            idempotency_key=f"refund:{batch.uuid}:{first}-{last}",
        )


def mark_submitted(messages, supplier_ids, *, supplier, now, progress=Progress.SENT, status=None):
    """One UPDATE for the whole chunk (a VALUES join on PostgreSQL). Only claimed rows move, so a
    chunk recorded twice (a slow worker and the sweeper) is recorded once. `progress` and `status`
    are the channel's for a message its supplier took (`ChannelAdapter.submitted_progress`; a
    None status keeps the row's). Returns rows moved."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE sending_message AS m SET state = %s, progress = %s, status = COALESCE(%s, m.status), "
                "supplier = %s, updated_at = %s, supplier_message_id = v.sid "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, sid) WHERE m.id = v.id AND m.state = %s",
                [
                    State.SUBMITTED,
                    progress,
                    status,
                    supplier,
                    now,
                    [m.pk for m in messages],
                    supplier_ids,
                    State.SUBMITTING,
                ],
            )
            return cursor.rowcount
    moved = 0
    extra = {"status": status} if status is not None else {}
    for message, supplier_id in zip(messages, supplier_ids, strict=True):
        moved += Message.objects.filter(pk=message.pk, state=State.SUBMITTING).update(
            **extra,
            state=State.SUBMITTED,
            progress=progress,
            supplier=supplier,
            supplier_message_id=supplier_id,
            updated_at=now,
        )
    return moved
