"""Recovering every in-flight state from the database, and releasing scheduled sends.

Beat runs these; each is safe to run twice and at any time, because it moves only rows still in
the state it looks for."""

from datetime import timedelta
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.services import audit, credits
from messaging.pipeline import channels
from messaging.pipeline.models import AWAITING, Batch, Message, Priority, SimulatedSubmission, State
from messaging.pipeline.queues import enqueue, queue_for
from messaging.reports import rollups
from portal.core.errors import ValidationFailed

STUCK_AFTER = timedelta(minutes=5)
CANCEL_BEFORE = timedelta(minutes=5)
RESUBMIT_TASK = "messaging.pipeline.tasks.resubmit_stuck"


def release_due(now=None):
    """Move due scheduled messages to the queue and dispatch their batches. Safe to run twice:
    only rows still `scheduled` move."""
    now = now or timezone.now()
    batches = list(
        Message.objects.filter(state=State.SCHEDULED, scheduled_at__lte=now)
        .values_list("batch_id", "channel")
        .distinct()[:200]
    )
    released = 0
    for batch_id, channel in batches:
        due = Message.objects.filter(batch_id=batch_id, state=State.SCHEDULED, scheduled_at__lte=now)
        with transaction.atomic():
            rollups.record_changed(due, status=AWAITING, final=False, lock=True)
            moved = due.update(state=State.QUEUED, status=AWAITING, updated_at=now)
        if moved:
            released += moved
            priority = Message.objects.filter(batch_id=batch_id).values_list("priority", flat=True).first()
            enqueue(batch_id, channel, priority or Priority.HIGH)
    return released


def sweep(now=None):
    """Re-dispatch batches with messages queued for longer than expected (a lost task or a crashed
    worker), hand half-sent chunks back to idempotent connectors, and mark messages whose supplier
    never answered with the channel's receipt-timeout status; they stay open, so a late receipt
    still applies."""
    now = now or timezone.now()
    stuck = list(
        Message.objects.filter(state=State.QUEUED, updated_at__lt=now - STUCK_AFTER)
        .values_list("batch_id", "channel")
        .distinct()[:200]
    )
    for batch_id, channel in stuck:
        enqueue(batch_id, channel, Priority.BULK)
    # Claimed but never recorded: the worker died while the supplier had the chunk.
    half_sent = list(
        Message.objects.filter(state=State.SUBMITTING, dispatched_at__lt=now - STUCK_AFTER)
        .values_list("batch_id", "supplier", "channel")
        .distinct()[:200]
    )
    for batch_id, supplier, channel in half_sent:
        current_app.tasks[RESUBMIT_TASK].apply_async(
            args=[batch_id, supplier or "simulator", (now - STUCK_AFTER).isoformat()],
            queue=queue_for(channel, Priority.BULK),
        )
    # The simulator's memory of what it took only matters while a resubmission can come (after 5 min).
    SimulatedSubmission.objects.filter(created_at__lt=now - timedelta(hours=1)).delete()
    silent = 0
    for name in channels.names():
        timeout_status = channels.get(name).receipt_timeout_status
        if not timeout_status:
            continue
        unanswered = Message.objects.filter(
            channel=name,
            state=State.SUBMITTED,
            dispatched_at__lt=now - timedelta(hours=settings.DLR_TIMEOUT_HOURS),
        ).exclude(status=timeout_status)
        with transaction.atomic():
            rollups.record_changed(unanswered, status=timeout_status, final=False, lock=True)
            silent += unanswered.update(status=timeout_status, updated_at=now)
    return {"redispatched_batches": len(stuck), "resubmitted_batches": len(half_sent), "timed_out": silent}


def cancel_scheduled(*, account, group_id, actor=None, request=None):
    """Cancel a scheduled batch until 5 minutes before it is due; its charges are refunded and the
    cancellation audited."""
    batch = Batch.objects.for_account(account).filter(uuid=group_id).first()
    if batch is None or batch.scheduled_at is None:
        raise ValidationFailed({"group_id": ["No scheduled send with this group id."]})
    if timezone.now() > batch.scheduled_at - CANCEL_BEFORE:
        raise ValidationFailed({"group_id": ["A scheduled send can be cancelled until 5 minutes before it is due."]})
    adapter = channels.get(batch.channel)
    with transaction.atomic():
        pending = Message.objects.select_for_update().filter(batch=batch, state=State.SCHEDULED)
        refund = sum((m.charges for m in pending), Decimal(0))
        moving = Message.objects.filter(batch=batch, state=State.SCHEDULED)  # locked above
        rollups.record_changed(moving, status=rollups.CANCELLED, final=True, refund=True)
        cancelled = pending.update(state=State.FINAL, status="DELETED", updated_at=timezone.now())
        if refund > 0:
            credits.refund(
                account=account,
                amount=refund,
                reason=f"Cancelled scheduled {adapter.label} {batch.uuid}",
                reference=str(batch.uuid),
                idempotency_key=f"cancel:{batch.uuid}",
            )
        audit.record(
            f"{adapter.name}.schedule_cancelled",
            account=account,
            actor=actor,
            target=str(batch.uuid),
            reason=f"{cancelled} messages, {refund} credits refunded",
            request=request,
        )
    return cancelled, refund
