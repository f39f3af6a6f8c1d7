"""Celery entry points of the send pipeline (thin; safe to run twice)."""

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from messaging.sending import throttle
from messaging.sending.connectors import get_connector
from messaging.sending.models import Message, State

CHUNK = 1000


@shared_task(acks_late=True)
def dispatch_batch(batch_id, connector="simulator"):
    """Hand a batch's queued messages to the connector, a chunk at a time. Each chunk is claimed
    under row locks and moved with a conditional update, so a retried or duplicated task never
    submits a message twice."""
    conn = get_connector(connector)
    after = 0  # walk the batch forward: rescanning submitted rows would make this quadratic
    while True:
        with transaction.atomic():
            messages = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(batch_id=batch_id, state=State.QUEUED, index__gt=after)
                .order_by("index")
                .only("id", "index", "mobile", "sender", "text", "encoding", "units", "flash", "port", "charges")[
                    :CHUNK
                ]
            )
            if not messages:
                return
            granted = throttle.take(conn.name, len(messages))
            messages = messages[:granted]  # the rest waits for the next round (still queued)
            after = messages[-1].index
            results = conn.submit(messages)  # a supplier id per message, or None when it refused one
            taken = [(m, sid) for m, sid in zip(messages, results, strict=True) if sid]
            refused = [m for m, sid in zip(messages, results, strict=True) if not sid]
            if taken:
                supplier_ids = [sid for _, sid in taken]
                mark_submitted([m for m, _ in taken], supplier_ids, supplier=conn.name, now=timezone.now())
                if hasattr(conn, "schedule_receipts"):
                    transaction.on_commit(lambda ids=supplier_ids: conn.schedule_receipts(ids))
            if refused:
                refund_refused(batch_id, refused)


def refund_refused(batch_id, messages):
    """Messages the supplier refused after payment: final as REJECTED, their charges refunded
    through the ledger once (the refund's key names exactly these messages)."""
    from decimal import Decimal

    from accounts.services import credits
    from messaging.sending.models import Batch

    ids = [m.pk for m in messages]
    rows = list(Message.objects.filter(pk__in=ids, state=State.QUEUED).values_list("index", "charges"))
    Message.objects.filter(pk__in=ids, state=State.QUEUED).update(
        state=State.FINAL, status="REJECTED", status_code="458", updated_at=timezone.now()
    )
    amount = sum((charges for _, charges in rows), Decimal(0))
    if amount > 0:
        batch = Batch.objects.select_related("account").get(pk=batch_id)
        first, last = min(i for i, _ in rows), max(i for i, _ in rows)
        credits.refund(
            account=batch.account,
            amount=amount,
            reason=f"Refused by the supplier: {len(rows)} of SMS {batch.uuid}",
            reference=str(batch.uuid),
            idempotency_key=f"refund:{batch.uuid}:{first}-{last}",
        )


def mark_submitted(messages, supplier_ids, *, supplier, now):
    """One UPDATE for the whole chunk (a VALUES join on PostgreSQL; bulk_update elsewhere)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE sending_message AS m SET state = %s, supplier = %s, dispatched_at = %s, "
                "updated_at = %s, supplier_message_id = v.sid "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, sid) WHERE m.id = v.id AND m.state = %s",
                [State.SUBMITTED, supplier, now, now, [m.pk for m in messages], supplier_ids, State.QUEUED],
            )
        return
    for message, supplier_id in zip(messages, supplier_ids, strict=True):
        message.state, message.supplier = State.SUBMITTED, supplier
        message.supplier_message_id, message.dispatched_at = supplier_id, now
    Message.objects.bulk_update(messages, ["state", "supplier", "supplier_message_id", "dispatched_at"])


@shared_task(acks_late=True)
def simulate_receipts(supplier_ids):
    """The simulator's receipts arrive here, then go through the common intake."""
    from messaging.sending.connectors.simulator import SimulatorConnector
    from messaging.sending.dlr import apply_dlrs

    sim = SimulatorConnector()
    receipts = [(sid, *reversed(sim.outcome())) for sid in supplier_ids]
    apply_dlrs(supplier=sim.name, receipts=receipts)


@shared_task
def release_scheduled():
    """Beat: queue scheduled messages that are due, a batch at a time."""
    from messaging.sending.services import release_due

    return release_due()


@shared_task
def sweep_stuck():
    """Beat: re-queue batches whose messages wait too long; flag silent suppliers."""
    from messaging.sending.services import sweep

    return sweep()
