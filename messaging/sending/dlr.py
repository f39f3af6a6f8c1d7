"""Delivery-report intake: forward-only and idempotent."""

from django.db import transaction
from django.utils import timezone

from messaging.events.models import Event
from messaging.sending.models import Message, State
from messaging.sending.services import message_time


def apply_dlr(*, supplier, supplier_message_id, status, code, delivered_at=None):
    """Record a final status once. A repeated or late receipt for a message already final changes
    nothing (returns False)."""
    return apply_dlrs(supplier=supplier, receipts=[(supplier_message_id, status, code)], delivered_at=delivered_at)


def apply_dlrs(*, supplier, receipts, delivered_at=None):
    """Apply many receipts: one conditional UPDATE per distinct outcome and events written in bulk,
    all in one transaction. Returns how many messages reached a final status."""
    delivered_at = delivered_at or timezone.now()
    by_outcome = {}
    for supplier_id, status, code in receipts:
        by_outcome.setdefault((status, code), []).append(supplier_id)
    changed = 0
    with transaction.atomic():
        for (status, code), ids in by_outcome.items():
            # Only messages still waiting move: this is what makes receipts idempotent.
            pending = Message.objects.select_for_update(skip_locked=False).filter(
                supplier=supplier, supplier_message_id__in=ids, state=State.SUBMITTED
            )
            rows = list(
                pending.select_related("batch").only(
                    "id",
                    "index",
                    "mobile",
                    "units",
                    "charges",
                    "custom",
                    "iso",
                    "submitted_at",
                    "dispatched_at",
                    "account_id",
                    "webhook_id",
                    "batch__uuid",
                )
            )
            if not rows:
                continue
            Message.objects.filter(pk__in=[r.pk for r in rows], state=State.SUBMITTED).update(
                state=State.FINAL, status=status, status_code=code, delivered_at=delivered_at, updated_at=delivered_at
            )
            Event.objects.bulk_create(
                [
                    Event(account_id=r.account_id, type="sms:message:status", payload=_payload(r, status, delivered_at))
                    for r in rows
                ],
                batch_size=2000,
            )
            changed += len(rows)
    return changed


def _payload(message, status, delivered_at):
    """The `sms:message:status` callback fields (webhooks catalog)."""
    return {
        "id": f"{message.batch.uuid}:{message.index}",
        "mobile": message.mobile,
        "status": status,
        "credits": f"{message.charges:.4f}",
        "units": message.units,
        "deliv_time": message_time(delivered_at),
        "sent_time": message_time(message.submitted_at),
        "submit_time": message_time(message.dispatched_at),
        "deliv_at": str(int(delivered_at.timestamp())),
        "sent_at": str(int(message.submitted_at.timestamp())),
        "submit_at": str(int(message.dispatched_at.timestamp())) if message.dispatched_at else "",
        "cid": message.custom,
        "custom": message.custom,
        "location_code": message.iso.lower(),
        "webhook_id": message.webhook_id,
    }
