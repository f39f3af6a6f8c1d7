"""Recovering every in-flight state from the database, and releasing scheduled sends.

Beat runs these; each is safe to run twice and at any time, because it moves only rows still in
the state it looks for. The broker only carries nudges: every stage a task was lost from is found
again here from the message rows (docs/sending.md, "Crash recovery")."""

from datetime import timedelta
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.services import audit, credits
from messaging.pipeline import channels, lookups
from messaging.pipeline.models import AWAITING, Batch, Message, Priority, SimulatedSubmission, State
from messaging.pipeline.queues import enqueue, queue_for
from messaging.reports import rollups
from portal.core.errors import ValidationFailed

STUCK_AFTER = timedelta(minutes=5)
CANCEL_BEFORE = timedelta(minutes=5)
RESUBMIT_TASK = "messaging.pipeline.tasks.resubmit_stuck"
CHECK_RECEIPTS_TASK = "messaging.pipeline.tasks.check_receipts"


def release_due(now=None):
    """Move due scheduled messages to the queue and dispatch their batches. Safe to run twice:
    only rows still `scheduled` move."""
    now = now or timezone.now()
    batches = list(
        Message.objects.filter(state=State.SCHEDULED, scheduled_at__lte=now)
        .order_by()  # no ordering columns in the DISTINCT: one row per batch
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
    """Find every message a lost task left behind and push it on (each step as a task of its own):
    - queued for longer than STUCK_AFTER: its batch is dispatched again (claims take each once);
    - `submitting` claimed longer than STUCK_AFTER ago (the worker died with the chunk at the
      supplier): the connector is asked which it holds, or handed the chunk again if it
      deduplicates (`dispatch.resubmit_stuck`);
    - `submitted` without a final status for longer than `lookups.ASK_AFTER`: the connector is
      asked for the status, applied as a receipt (`lookups.check_receipts`);
    - silent for DLR_TIMEOUT_HOURS: the channel's receipt-timeout status; the message stays open,
      so a late receipt still applies.
    Returns what it found."""
    now = now or timezone.now()
    stuck = list(
        Message.objects.filter(state=State.QUEUED, updated_at__lt=now - STUCK_AFTER)
        .order_by()  # no ordering columns in the DISTINCT: one row per batch
        .values_list("batch_id", "channel")
        .distinct()[:200]
    )
    for batch_id, channel in stuck:
        enqueue(batch_id, channel, Priority.BULK)
    half_sent = list(
        Message.objects.filter(state=State.SUBMITTING, dispatched_at__lt=now - STUCK_AFTER)
        .order_by()
        .values_list("batch_id", "supplier", "channel")
        .distinct()[:200]
    )
    for batch_id, supplier, channel in half_sent:
        current_app.tasks[RESUBMIT_TASK].apply_async(
            args=[batch_id, supplier or "simulator", (now - STUCK_AFTER).isoformat()],
            queue=queue_for(channel, Priority.BULK),
        )
    overdue = [
        (supplier, channel)
        for supplier, channel in lookups.overdue(now).order_by().values_list("supplier", "channel").distinct()[:200]
        if lookups.can_ask(supplier, channel)
    ]
    for supplier, channel in overdue:
        current_app.tasks[CHECK_RECEIPTS_TASK].apply_async(args=[supplier, channel, now.isoformat()])
    # The simulator answers lookups from its record of what it took: keep it as long as we ask.
    SimulatedSubmission.objects.filter(created_at__lt=now - timedelta(hours=settings.DLR_TIMEOUT_HOURS)).delete()
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
    return {
        "redispatched_batches": len(stuck),
        "resubmitted_batches": len(half_sent),
        "receipt_lookups": len(overdue),
        "timed_out": silent,
    }


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
            reason=f"{cancelled} message{pluralize(cancelled)}, {refund} credits refunded",
            request=request,
        )
    return cancelled, refund
