"""One message as its detail page shows it: the row, its status explained (the one table in
`statuses.py`), the status history as a timeline and the webhook deliveries it caused.

The history comes from what the pipeline already writes, so receipts pay nothing extra: the
message's own times (accepted, scheduled, handed to the supplier) and the status events of the
outbox (one per move, `payload.id` = the public id), found through the events' (account,
payload->>'id') index. WhatsApp adds its provider's every report (`StatusRecord`, codes
included, duplicates too).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models.fields.json import KeyTextTransform

from messaging.channels.whatsapp.models import StatusRecord
from messaging.pipeline import channels
from messaging.pipeline.models import Batch, Message
from messaging.reports import statuses
from messaging.webhooks.models import Delivery
from portal.core.events.models import Event

# Events are never older than their message; a second of slack covers clocks of different processes.
_SLACK = timedelta(seconds=1)


@dataclass
class Step:
    at: object
    title: str
    detail: str = ""
    status: str = ""
    code: str = ""


@dataclass
class Detail:
    message: Message
    batch: Batch
    explanation: statuses.Explanation
    timeline: list = field(default_factory=list)
    deliveries: list = field(default_factory=list)
    refunded: bool = False


def find(account, group_id, index):
    """The account's message `<group_id>:<index>`, or None (another account's is None too)."""
    return (
        Message.objects.for_account(account)
        .select_related("batch", "batch__product")
        .filter(batch__uuid=group_id, index=index)
        .first()
    )


def parse_public_id(text):
    """(group uuid text, index) from `<group_id>:<index>`; None when it is not one."""
    group, sep, index = (text or "").strip().rpartition(":")
    if not sep or not index.isdigit() or len(group) != 36:
        return None
    return group, int(index)


def status_events(message):
    """The outbox's status events of this message, oldest first."""
    adapter = channels.get(message.channel)
    if not adapter.status_event:
        return []
    return list(
        Event.objects.for_account(message.account_id)
        .alias(public_id=KeyTextTransform("id", "payload"))  # the index's expression, as written
        .filter(public_id=message.public_id, type=adapter.status_event, created_at__gte=message.submitted_at - _SLACK)
        .order_by("created_at", "id")
    )


def timeline(message, events):
    steps = [Step(message.submitted_at, "Accepted", _accepted_detail(message))]
    if message.scheduled_at:
        steps.append(Step(message.scheduled_at, "Scheduled for", "Released to the supplier at this time."))
    if message.dispatched_at:
        supplier = f" ({message.supplier})" if message.supplier else ""
        steps.append(Step(message.dispatched_at, "Handed to the supplier" + supplier))
    if message.channel == "whatsapp" and message.supplier_message_id:
        records = StatusRecord.objects.for_account(message.account_id).filter(wamid=message.supplier_message_id)
        for r in records:
            steps.append(Step(r.at, f"Reported {r.status}", statuses.explain(r.status, r.code), r.status, r.code))
    else:
        for e in events:
            status = e.payload.get("status", "")
            code = message.status_code if status == message.status else ""
            steps.append(Step(e.created_at, f"Reported {status}", statuses.explain(status, code), status, code))
    reported = {s.status for s in steps}
    if message.status not in reported and message.status not in ("AWAITING-DLR",):
        # Statuses set without an event (a cancelled schedule, a refusal at accept or by the
        # supplier) are dated by the row's last change.
        steps.append(
            Step(
                message.updated_at,
                f"Now {message.status}",
                statuses.explain(message.status, message.status_code),
                message.status,
                message.status_code,
            )
        )
    steps.sort(key=lambda s: s.at)
    return steps


def _accepted_detail(message):
    billing = statuses.billing_of(message.status)
    if billing == statuses.NOT_CHARGED:
        return "Refused at accept: not charged."
    parts = f"{message.units} part{'s' if message.units != 1 else ''}"
    return f"{parts} at {message.price:.4f} each: {message.charges:.4f} credits charged."


def deliveries_of(account, events):
    if not events:
        return []
    return list(
        Delivery.objects.for_account(account)
        .filter(event_id__in=[e.pk for e in events])
        .select_related("webhook")
        .order_by("created_at", "id")
    )


def detail(account, message):
    events = status_events(message)
    explanation = statuses.describe(message.status, message.status_code)
    return Detail(
        message=message,
        batch=message.batch,
        explanation=explanation,
        timeline=timeline(message, events),
        deliveries=deliveries_of(account, events),
        refunded=explanation.billing == statuses.REFUNDED,
    )
