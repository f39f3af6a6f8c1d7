"""Placing calls: outgoing (flow or audio), bulk, text-to-speech and click-to-call.

Every entry point validates the whole request first (bridge, numbers, flow and its variables,
audio, calling hours, voice unsubscribers), then in one transaction reserves the credits for the
longest call (services/billing.py) and writes the calls as `queued`; the connector's task is
queued after commit. A refused request writes and charges nothing.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from portal.core import bulk as bulk_writes
from portal.core.errors import FieldErrors, ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize
from voice.models import Call, CallGroup, CallStatus, Connector, NumberKind, Source, VoiceNumber
from voice.services import billing, dispatch, flows, pricing, quotes
from voice.services.checks import (  # noqa: F401  (MAX_BULK, legs_of: read through calls by callers)
    MAX_BULK,
    bridge_number,
    callee,
    check_calling_hours,
    find_audio,
    find_flow,
    has_settings,
    legs_of,
    max_call_seconds,
    retry_interval,
    short_text,
    suppressed,
)


def _queue(calls, group=None):
    ids = [c.pk for c in calls]
    transaction.on_commit(lambda: dispatch.queue(ids, group_id=group.pk if group else None))


def outgoing(
    *,
    account,
    bridge,
    to,
    flow_id=None,
    audio=None,
    variables=None,
    name="",
    interval=0,
    webhook_id="",
    foreign_id="",
    options=None,
    flow=None,
    api_key=None,
    actor=None,
):
    """One outgoing call (operation 1; TTS passes its generated `flow`). Returns [Call]."""
    errors = FieldErrors()
    number = bridge_number(account, bridge, errors)
    digits, iso = callee(to, "to", errors)
    audio_ref, audio_seconds = "", 0.0
    if flow is None and str(flow_id or "").strip():
        flow = find_flow(account, flow_id, errors)
    elif flow is None and str(audio or "").strip():
        audio_ref, audio_seconds = find_audio(account, audio, errors)
    elif flow is None:
        errors.add("flow_id", "The flow id field is required when audio is not present.")
    values = {}
    if flow is not None:
        try:
            values = flows.check_variables(flow, variables)
        except ValidationFailed as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    errors.add(field, message)
    retry = retry_interval(interval, errors)
    name = short_text(name, "name", 100, errors)
    foreign_id = short_text(foreign_id, "foreign_id", 100, errors)
    webhook_id = short_text(webhook_id, "webhook_id", 64, errors)
    check_calling_hours(account, errors)
    errors.raise_if_any()
    if suppressed(account, number, [digits]):
        raise ValidationFailed({"to": ["The number has unsubscribed from voice calls."]})
    price = pricing.PriceBook(account).price(iso)
    seconds = max_call_seconds()
    reserved = pricing.reservation(price, seconds, legs=legs_of(flow))  # a retry reserves again when placed
    with transaction.atomic():
        call = Call.objects.create(
            account=account,
            source=Source.OUTGOING,
            connector=number.connector,
            bridge=number.number,
            to=digits,
            iso=iso,
            location=iso,
            flow=flow,
            audio=audio_ref,
            variables=values,
            options=options,
            name=name,
            foreign_id=foreign_id,
            webhook_id=webhook_id,
            retry_interval=retry,
            attempts=2 if retry else 1,
            max_seconds=seconds,
            pulse=price.pulse,
            rate=price.rate,
            reserved=reserved,
            notes=f"audio {audio_seconds:.1f} s" if audio_seconds else "",
        )
        billing.reserve(account=account, amount=reserved, reference=str(call.uuid), api_key=api_key, actor=actor)
        _queue([call])
    return [call]


def bulk(*, account, bridge, payload, flow_id=None, audio=None, name="", webhook_id="", api_key=None, actor=None):
    """Operation 2: one call per payload item (`to`, optional `audio` or `variables`), checked as
    the catalogue answers (`quotes.plan`, strict). Returns (group, calls queued, numbers skipped
    as unsubscribed)."""
    checked = quotes.plan(
        account=account, bridge=bridge, payload=payload, flow_id=flow_id, audio=audio, name=name, webhook_id=webhook_id
    )
    group, queued = write_plan(
        account=account, plan=checked, name=name, webhook_id=webhook_id, api_key=api_key, actor=actor
    )
    return group, queued, checked.skipped


def write_plan(*, account, plan, name="", webhook_id="", keep_refused=False, api_key=None, actor=None):
    """Write a bulk plan's accepted calls as one group, reserving `plan.reserved` in one debit,
    and queue them after commit. `keep_refused` records the numbers refused before calling on the
    group (duplicates aside), for "call the ones who didn't get it". Returns (group, calls)."""
    refused = {}
    if keep_refused:
        refused = {status: n for status, n in plan.refused_numbers.items() if status != quotes.DUPLICATE}
    with transaction.atomic():
        group = CallGroup.objects.create(
            account=account, name=name[:100], total=plan.accepted, reserved=plan.reserved, refused=refused
        )
        queued = insert_calls(
            [
                Call(
                    account=account,
                    group=group,
                    source=Source.OUTGOING,
                    connector=plan.bridge.connector,
                    bridge=plan.bridge.number,
                    to=row.to,
                    iso=row.iso,
                    location=row.iso,
                    flow=plan.flow,
                    audio=row.audio[0],
                    variables=row.variables,
                    name=name[:100],
                    webhook_id=webhook_id,
                    max_seconds=plan.max_seconds,
                    pulse=row.price.pulse,
                    rate=row.price.rate,
                    reserved=row.reserved,
                )
                for row in plan.rows
            ]
        )
        billing.reserve(account=account, amount=plan.reserved, reference=str(group.uuid), api_key=api_key, actor=actor)
        _queue(queued, group)
    return group, queued


def insert_calls(calls):
    """Write new Call objects: COPY with ids drawn from the sequence on PostgreSQL (bulk_create
    spent 0.6 ms a row on building its INSERT), bulk_create elsewhere. Returns the calls with pks."""
    if connection.vendor != "postgresql":
        return Call.objects.bulk_create(calls, batch_size=2000)
    fields = [f for f in Call._meta.concrete_fields if f.name != "id"]
    for call, pk in zip(calls, bulk_writes.next_ids(Call._meta.db_table, len(calls)), strict=True):
        call.pk = pk
    rows = ([call.pk, *(f.get_db_prep_save(f.pre_save(call, add=True), connection) for f in fields)] for call in calls)
    columns = ["id", *(connection.ops.quote_name(f.column) for f in fields)]  # "to" is an SQL keyword
    if not bulk_writes.copy_rows(Call._meta.db_table, columns, rows):
        raise RuntimeError("a new call's id or uuid was taken")
    return calls


def click_to_call(
    *,
    account,
    bridge,
    call_from,
    to,
    record="0",
    attempts=2,
    mid="",
    webhook_id="",
    duration=None,
    variables=None,
    api_key=None,
    actor=None,
):
    """Operation 4: call `from`, then bridge `to` (a number or `flow:<id>`)."""
    errors = FieldErrors()
    number = bridge_number(account, bridge, errors)
    first, first_iso = callee(call_from, "from", errors)
    target = str(to or "").strip()
    flow, second, second_iso = None, "", None
    if target.lower().startswith("flow:"):
        flow = find_flow(account, target[5:], errors, field="to")
    else:
        second, second_iso = callee(target, "to", errors)
    record_text = str(record if record is not None else "0").strip() or "0"
    if record_text not in ("0", "1"):
        errors.add("record", "The record must be 0 or 1.")
    attempts_text = str(attempts if attempts not in (None, "") else "2").strip()
    if not attempts_text.isdigit() or not 1 <= int(attempts_text) <= 2:
        errors.add("attempts", "The attempts must be 1 or 2.")
        attempts_text = "2"
    seconds = max_call_seconds()
    duration_text = str(duration or "none").strip().lower()
    if duration_text != "none":
        if not duration_text.isdigit() or not 1 <= int(duration_text) <= seconds // 60:
            errors.add("duration", f"The duration must be none or 1 to {seconds // 60} minutes.")
        else:
            seconds = int(duration_text) * 60
    values = {}
    if flow is not None:
        try:
            values = flows.check_variables(flow, variables)
        except ValidationFailed as exc:
            for field, messages in exc.errors.items():
                errors.add(field, messages[0])
    mid = short_text(mid, "mid", 100, errors)
    webhook_id = short_text(webhook_id, "webhook_id", 64, errors)
    check_calling_hours(account, errors)
    errors.raise_if_any()
    if suppressed(account, number, [n for n in (first, second) if n]):
        raise ValidationFailed({"to": ["A number of this call has unsubscribed from voice calls."]})
    book = pricing.PriceBook(account)
    price1 = book.price(first_iso, field="from")
    price2 = book.price(second_iso) if second else price1
    reserved = pricing.reservation(price1, seconds) + (pricing.reservation(price2, seconds) if second else 0)
    with transaction.atomic():
        call = Call.objects.create(
            account=account,
            source=Source.CLICK_TO_CALL,
            connector=number.connector,
            bridge=number.number,
            call_from=first,
            to=second or "",
            iso=first_iso,
            location=first_iso,
            flow=flow,
            variables=values,
            foreign_id=mid,
            webhook_id=webhook_id,
            record=record_text == "1",
            attempts=int(attempts_text),
            max_seconds=seconds,
            pulse=price1.pulse,
            rate=price1.rate,
            reserved=reserved,
        )
        billing.reserve(account=account, amount=reserved, reference=str(call.uuid), api_key=api_key, actor=actor)
        _queue([call])
    return call


def inbound(*, account, number, flow, caller):
    """An answered call to a virtual number: its row (in progress) and the reservation for its
    longest duration at the caller's country's price (the VMN's country for numbers we cannot read)."""
    try:
        digits, iso = normalize(caller)
    except InvalidNumber:
        digits, iso = str(caller)[:16], normalize(number)[1]
    price = pricing.PriceBook(account).price(iso)
    seconds = max_call_seconds()
    reserved = pricing.reservation(price, seconds, legs=legs_of(flow))
    with transaction.atomic():
        call = Call.objects.create(
            account=account,
            source=Source.INBOUND,
            connector=Connector.SIP,
            bridge=number,
            call_from=digits,
            to=number,
            iso=iso,
            location=iso,
            flow=flow,
            status=CallStatus.IN_PROGRESS,
            start_at=timezone.now(),
            max_seconds=seconds,
            pulse=price.pulse,
            rate=price.rate,
            reserved=reserved,
        )
        billing.reserve(account=account, amount=reserved, reference=str(call.uuid))
    return call


def live(account):
    return Call.objects.for_account(account).filter(status__in=CallStatus.LIVE)


def simulator_bridge(account):
    """The account's first simulator bridge (pages' test calls)."""
    return (
        VoiceNumber.objects.for_account(account).filter(kind=NumberKind.BRIDGE, connector=Connector.SIMULATOR).first()
    )


def local_now(account):
    tz = account.voice_settings.timezone if has_settings(account) else settings.TIME_ZONE
    return datetime.now(ZoneInfo(tz))
