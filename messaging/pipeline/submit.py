"""Accepting messages: validate, scrub, price, pay once, persist, queue after commit."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from accounts.services import audit, credits
from messaging.channels.sms import context as scrub_context
from messaging.channels.sms.encoding import analyze, split
from messaging.channels.sms.scrub import Rejection, check
from messaging.pipeline.models import AWAITING, SCHEDULED, Batch, Message, Priority, SimulatedSubmission, State
from messaging.services.catalog import ServiceNotEnabled, require_service
from portal.core import rules
from portal.core.bulk import copy_escape
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize

SCHEDULE_MIN = timedelta(minutes=5)
SCHEDULE_MAX = timedelta(days=30)


@dataclass(slots=True)
class Outgoing:
    """One recipient's message as the request described it (slots: a bulk request holds 100,000)."""

    to: str
    sender: str
    message: str
    type: str = "A"
    flash: bool = False
    custom: str = ""
    port: str = ""
    template_id: str = ""
    entity_id: str = ""
    max_units: int | None = None
    webhook_id: str = ""
    dlr_url: str = ""
    dlr_mask: int = 1


@dataclass
class Submission:
    batch: Batch
    items: list = field(default_factory=list)  # response rows, in request order
    replayed: bool = False

    @property
    def accepted(self):
        return self.batch.accepted


def _cap_units(text, analysis, max_units):
    """`max_units` caps the parts sent and charged: longer text is cut at the last allowed part."""
    if not max_units or analysis.units <= max_units:
        return analysis
    text = "".join(split(analysis.text, analysis.encoding)[:max_units])
    return analyze(text, "U" if analysis.encoding == "ucs2" else "N")


def _validate(service_code, outgoing, schedule, now):
    errors = {}
    if not outgoing:
        errors["to"] = ["The to field is required."]
    if len(outgoing) > settings.SEND_MAX_RECIPIENTS:
        errors["to"] = [f"At most {settings.SEND_MAX_RECIPIENTS} numbers per request."]
    for field_name, label in (("sender", "sender"), ("message", "message")):
        if any(not (getattr(o, field_name) or "").strip() for o in outgoing):
            errors[field_name] = [f"The {label} field is required."]
    # PostgreSQL text cannot hold NUL: refuse it here rather than fail on the insert.
    for field_name in ("message", "sender", "custom", "port", "template_id", "entity_id", "webhook_id", "dlr_url"):
        if any("\x00" in getattr(o, field_name) for o in outgoing):
            errors[field_name] = [f"The {field_name.replace('_', ' ')} may not contain NUL characters."]
    if any(o.type not in ("A", "N", "U") for o in outgoing):
        errors["type"] = ["The selected type is invalid (U, N or A)."]
    if any(o.max_units not in (None, 1, 2, 3) for o in outgoing):
        errors["max_units"] = ["The max units must be 2 or 3."]
    if schedule is not None and not (now + SCHEDULE_MIN <= schedule <= now + SCHEDULE_MAX):
        errors["time"] = ["The time must be between 5 minutes and 30 days from now."]
    if errors:
        raise ValidationFailed(errors)


def submit(
    *,
    account,
    service_code,
    outgoing,
    name="",
    schedule=None,
    idempotency_key=None,
    api_key=None,
    actor=None,
    source="api",
    tags=(),
    rules_version=None,
):
    """Accept a submission. Every message is scrubbed; the accepted ones are paid with one debit
    and persisted in the same transaction; dispatch is queued after commit. A retried request with
    the same idempotency key (per account, 24 h) returns the first answer and charges nothing."""
    now = timezone.now()
    if idempotency_key and "\x00" in idempotency_key:  # from `custom`: PostgreSQL text cannot hold it
        raise ValidationFailed({"custom": ["The custom may not contain NUL characters."]})
    if idempotency_key:
        earlier = (
            Batch.objects.for_account(account)
            .filter(idempotency_key=idempotency_key, created_at__gte=now - timedelta(hours=24))
            .first()
        )
        if earlier:
            return Submission(batch=earlier, items=earlier.response.get("data", []), replayed=True)
    try:
        version = rules_version or rules.versions(account)
        service = rules.cached(
            account,
            ("service", (service_code or "").strip().upper()),
            lambda: require_service(account, service_code),
            version,
        )
    except ServiceNotEnabled as exc:
        raise ValidationFailed({"service": [exc.message]}) from None
    _validate(service_code, outgoing, schedule, now)

    numbers = {}
    for o in outgoing:
        if o.to not in numbers:
            try:
                numbers[o.to] = normalize(o.to)
            except InvalidNumber:
                numbers[o.to] = None
    mobiles = {n[0] for n in numbers.values() if n}
    analyses = {}
    for o in outgoing:
        key = (o.message, o.type, o.max_units)
        if key not in analyses:
            analyses[key] = _cap_units(o.message, analyze(o.message, o.type), o.max_units)
    ctx = scrub_context.build(
        account,
        service,
        version=version,
        mobiles=mobiles,
        senders={o.sender for o in outgoing},
        texts={a.text for a in analyses.values()},
        tags=tags,
        now=now,
    )
    send_at = schedule or now
    batch = Batch(
        account=account,
        api_key=api_key,
        created_by=actor,
        name=name[:200],
        source=source,
        service=service,
        scheduled_at=schedule,
        idempotency_key=idempotency_key or None,
    )
    rows, items, total_cost, accepted, seen = [], [], Decimal(0), 0, set()
    priority = Priority.BULK if service.is_promotional or len(outgoing) > 1000 else Priority.HIGH
    submitted = message_time(now)
    for index, o in enumerate(outgoing, start=1):
        a = analyses[(o.message, o.type, o.max_units)]
        number = numbers[o.to]
        mobile, iso = number if number else (o.to.replace("\x00", "")[:16], "")
        if number is None:
            rejection, dlt_id = _invalid_number(), ""
        else:
            rejection, dlt_id = check(
                ctx, mobile=mobile, iso=iso, sender=o.sender, text=a.text, template_id=o.template_id, send_at=send_at
            )
            if rejection is None and (o.sender.upper(), mobile, a.text) in seen:
                rejection = _duplicate()
        price = ctx.prices.get(iso, Decimal(0))
        if rejection is None:
            charges = price * a.units
            seen.add((o.sender.upper(), mobile, a.text))
            total_cost += charges
            accepted += 1
            state, status, code = (State.SCHEDULED, SCHEDULED, "") if schedule else (State.QUEUED, AWAITING, "")
        else:
            charges = Decimal(0)
            state, status, code = State.REJECTED, rejection.status, rejection.code
        # Plain tuples, not model instances: a 100k batch must fit in memory and time.
        rows.append(
            (
                index,
                mobile,
                iso,
                o.sender,
                a.text,
                a.encoding,
                a.length,
                a.units,
                price,
                charges,
                state,
                status,
                code,
                o.custom[:200],
                o.flash,
                o.port[:10],
                dlt_id or o.template_id,
                o.entity_id,
                o.webhook_id,
                o.dlr_url,
                o.dlr_mask,
            )
        )
        items.append(
            {
                "id": index,
                "mobile": mobile,
                "status": status,
                "units": a.units,
                "length": a.length,
                "charges": float(charges),
                "customid": o.custom,
                "iso_code": iso or None,
                "submitted_at": submitted,
            }
        )
    batch.total = len(rows)
    batch.accepted = accepted
    batch.cost = total_cost
    group = str(batch.uuid)  # known before saving: the answer is stored with the batch in one INSERT
    for item in items:
        item["id"] = f"{group}:{item['id']}"
    batch.response = {"data": items} if len(items) <= 1000 else {"data": items[:1000], "truncated": True}
    try:
        with transaction.atomic():
            batch.save()
            if total_cost > 0:
                credits.debit_new(
                    account=account,
                    amount=total_cost,
                    reason=f"SMS {batch.uuid} ({batch.accepted} messages)",
                    reference=str(batch.uuid),
                    actor=actor,
                    key=f"batch:{batch.uuid}",
                )
            persist_messages(batch, rows, now=now, priority=priority, service_code=service.code, schedule=schedule)
            if batch.accepted and not schedule:
                transaction.on_commit(lambda: _enqueue(batch.pk, priority))
    except IntegrityError:
        if idempotency_key:  # a concurrent identical request won the race: answer with its result
            earlier = Batch.objects.for_account(account).get(idempotency_key=idempotency_key)
            return Submission(batch=earlier, items=earlier.response.get("data", []), replayed=True)
        raise
    return Submission(batch=batch, items=items)


ROW_FIELDS = [
    "index",
    "mobile",
    "iso",
    "sender",
    "text",
    "encoding",
    "length",
    "units",
    "price",
    "charges",
    "state",
    "status",
    "status_code",
    "custom",
    "flash",
    "port",
    "template_id",
    "entity_id",
    "webhook_id",
    "dlr_url",
    "dlr_mask",
]


def persist_messages(batch, rows, *, now, priority, service_code, schedule):
    """Write the batch's messages: PostgreSQL COPY for big batches, bulk_create otherwise."""
    common = {
        "batch_id": batch.pk,
        "account_id": batch.account_id,
        "service": service_code,
        "priority": priority,
        "scheduled_at": schedule,
        "submitted_at": now,
        "updated_at": now,
        "supplier": "",
        "supplier_message_id": "",
    }
    if connection.vendor == "postgresql" and len(rows) > 500:
        columns = [*ROW_FIELDS, *common]
        # A writer thread sends while this one formats: the server parses one block as the next
        # is built.
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY sending_message ({', '.join(columns)}) FROM STDIN",  # noqa: S608 - fixed column names
                writer=QueuedLibpqWriter(cursor.cursor),
            ) as copy,
        ):
            for block in copy_text(rows, tuple(common.values())):
                copy.write(block)
        return
    Message.objects.bulk_create(
        [Message(**dict(zip(ROW_FIELDS, row, strict=True)), **common) for row in rows], batch_size=2000
    )


# The strings of a batch repeat (sender, text, ids): escape each distinct one once.
_esc = lru_cache(maxsize=8192)(copy_escape)


def _copy_value(value):
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return copy_escape(value)


def copy_text(rows, tail, *, block=1 << 20):
    """Message rows in COPY's text format, in blocks of about `block` characters. Formatting
    by hand is several times cheaper than `write_row`'s per-value adaptation: the strings that
    repeat across a batch (sender, text, the common tail) are escaped once."""
    end = "\t" + "\t".join(map(_copy_value, tail)) + "\n"
    lines, size = [], 0
    for row in rows:
        (index, mobile, iso, sender, text, encoding, length, units, price, charges, state, status, code,
         custom, flash, port, template_id, entity_id, webhook_id, dlr_url, dlr_mask) = row  # fmt: skip
        line = (
            f"{index}\t{_esc(mobile)}\t{iso}\t{_esc(sender)}\t{_esc(text)}\t{encoding}\t{length}\t{units}\t"
            f"{price}\t{charges}\t{state}\t{status}\t{code}\t{_esc(custom)}\t{'t' if flash else 'f'}\t"
            f"{_esc(port)}\t{_esc(template_id)}\t{_esc(entity_id)}\t{_esc(webhook_id)}\t{_esc(dlr_url)}\t"
            f"{dlr_mask}{end}"
        )
        lines.append(line)
        size += len(line)
        if size >= block:
            yield "".join(lines)
            lines, size = [], 0
    if lines:
        yield "".join(lines)


def _invalid_number():
    return Rejection("INV-NUMBER", "Not a valid number with its country code.")


def _duplicate():
    return Rejection("DUPLICATE", "The same message appears twice for this number in the request.")


def _enqueue(batch_id, priority=Priority.HIGH):
    """Transactional/OTP traffic and bulk campaigns go to separate queues, so a 100k campaign
    never sits in front of a one-time password."""
    from messaging.pipeline.tasks import dispatch_batch

    dispatch_batch.apply_async(args=[batch_id], queue=QUEUES[priority])


QUEUES = {Priority.HIGH: "sms-high", Priority.BULK: "sms-bulk"}


def message_time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


STUCK_AFTER = timedelta(minutes=5)
CANCEL_BEFORE = timedelta(minutes=5)


def release_due(now=None):
    """Move due scheduled messages to the queue and dispatch their batches. Safe to run twice:
    only rows still `scheduled` move."""
    from messaging.pipeline.tasks import dispatch_batch

    now = now or timezone.now()
    batch_ids = list(
        Message.objects.filter(state=State.SCHEDULED, scheduled_at__lte=now)
        .values_list("batch_id", flat=True)
        .distinct()[:200]
    )
    released = 0
    for batch_id in batch_ids:
        moved = Message.objects.filter(batch_id=batch_id, state=State.SCHEDULED, scheduled_at__lte=now).update(
            state=State.QUEUED, status=AWAITING, updated_at=now
        )
        if moved:
            released += moved
            priority = Message.objects.filter(batch_id=batch_id).values_list("priority", flat=True).first()
            dispatch_batch.apply_async(args=[batch_id], queue=QUEUES[priority or Priority.HIGH])
    return released


def sweep(now=None):
    """Re-dispatch batches with messages queued for longer than expected (a lost task or a crashed
    worker), and mark messages whose supplier never answered as TIMEOUT-DLR; they stay open, so a
    late receipt still applies."""
    from messaging.pipeline.tasks import dispatch_batch, resubmit_stuck

    now = now or timezone.now()
    stuck = list(
        Message.objects.filter(state=State.QUEUED, updated_at__lt=now - STUCK_AFTER)
        .values_list("batch_id", flat=True)
        .distinct()[:200]
    )
    for batch_id in stuck:
        dispatch_batch.apply_async(args=[batch_id], queue=QUEUES[Priority.BULK])
    # Claimed but never recorded: the worker died while the supplier had the chunk.
    half_sent = list(
        Message.objects.filter(state=State.SUBMITTING, dispatched_at__lt=now - STUCK_AFTER)
        .values_list("batch_id", "supplier")
        .distinct()[:200]
    )
    for batch_id, supplier in half_sent:
        resubmit_stuck.apply_async(
            args=[batch_id, supplier or "simulator", (now - STUCK_AFTER).isoformat()], queue=QUEUES[Priority.BULK]
        )
    # The simulator's memory of what it took only matters while a resubmission can come (after 5 min).
    SimulatedSubmission.objects.filter(created_at__lt=now - timedelta(hours=1)).delete()
    silent = (
        Message.objects.filter(
            state=State.SUBMITTED, dispatched_at__lt=now - timedelta(hours=settings.DLR_TIMEOUT_HOURS)
        )
        .exclude(status="TIMEOUT-DLR")
        .update(status="TIMEOUT-DLR", updated_at=now)
    )
    return {"redispatched_batches": len(stuck), "resubmitted_batches": len(half_sent), "timed_out": silent}


def cancel_scheduled(*, account, group_id, actor=None, request=None):
    """Cancel a scheduled batch until 5 minutes before it is due; its charges are refunded and the
    cancellation audited."""
    batch = Batch.objects.for_account(account).filter(uuid=group_id).first()
    if batch is None or batch.scheduled_at is None:
        raise ValidationFailed({"group_id": ["No scheduled send with this group id."]})
    if timezone.now() > batch.scheduled_at - CANCEL_BEFORE:
        raise ValidationFailed({"group_id": ["A scheduled send can be cancelled until 5 minutes before it is due."]})
    with transaction.atomic():
        pending = Message.objects.select_for_update().filter(batch=batch, state=State.SCHEDULED)
        refund = sum((m.charges for m in pending), Decimal(0))
        cancelled = pending.update(state=State.FINAL, status="DELETED", updated_at=timezone.now())
        if refund > 0:
            credits.refund(
                account=account,
                amount=refund,
                reason=f"Cancelled scheduled SMS {batch.uuid}",
                reference=str(batch.uuid),
                idempotency_key=f"cancel:{batch.uuid}",
            )
        audit.record(
            "sms.schedule_cancelled",
            account=account,
            actor=actor,
            target=str(batch.uuid),
            reason=f"{cancelled} messages, {refund} credits refunded",
            request=request,
        )
    return cancelled, refund
