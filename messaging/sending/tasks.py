"""Celery entry points of the send pipeline (thin; safe to run twice)."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from messaging.sending.connectors import get_connector
from messaging.sending.models import Message, State

CHUNK = 1000


@shared_task(acks_late=True)
def dispatch_batch(batch_id, connector="simulator"):
    """Hand a batch's queued messages to the connector, a chunk at a time. Each chunk is claimed
    with a conditional update, so a retried or duplicated task never submits a message twice."""
    conn = get_connector(connector)
    while True:
        with transaction.atomic():
            ids = list(
                Message.objects.filter(batch_id=batch_id, state=State.QUEUED)
                .order_by("index")
                .values_list("id", flat=True)[:CHUNK]
            )
            if not ids:
                return
            messages = list(Message.objects.select_for_update().filter(pk__in=ids, state=State.QUEUED))
            if not messages:
                continue
            supplier_ids = conn.submit(messages)
            now = timezone.now()
            for message, supplier_id in zip(messages, supplier_ids, strict=True):
                message.state = State.SUBMITTED
                message.supplier = conn.name
                message.supplier_message_id = supplier_id
                message.dispatched_at = now
            Message.objects.bulk_update(
                messages, ["state", "supplier", "supplier_message_id", "dispatched_at"], batch_size=CHUNK
            )
            if hasattr(conn, "schedule_receipts"):
                transaction.on_commit(lambda ids=supplier_ids: conn.schedule_receipts(ids))


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
