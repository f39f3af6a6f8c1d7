"""Placing calls: outgoing (flow or audio), bulk, text-to-speech and click-to-call.

Every entry point validates the whole request first (bridge, numbers, flow and its variables,
audio, calling hours, voice unsubscribers), then in one transaction reserves the credits for the
longest call (services/billing.py) and writes the calls as `queued`; the connector's task is
queued after commit. A refused request writes and charges nothing.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from messaging import consent
from portal.core import bulk as bulk_writes
from portal.core import outbound
from portal.core.errors import FieldErrors, ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize
from portal.core.tenancy import is_uuid
from voice.models import (
    Call,
    CallGroup,
    CallStatus,
    Connector,
    Flow,
    NumberKind,
    Sound,
    Source,
    VoiceNumber,
    VoiceSettings,
)
from voice.services import billing, dispatch, flows, pricing

MAX_BULK = 50_000
RETRY_INTERVALS = (0, 5, 15, 30, 45, 60)
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)


def legs_of(flow):
    """Billed legs a call may place: a flow that bridges rings a second, billed leg."""
    bridges = flow is not None and any(step.get("type") == "bridge" for step in flow.definition.get("steps", []))
    return 2 if bridges else 1


def max_call_seconds():
    return int(getattr(settings, "VOICE_MAX_CALL_SECONDS", 600))


def bridge_number(account, value, errors=None):
    value = str(value or "").strip()
    errors = errors if errors is not None else FieldErrors()
    if not value:
        errors.add("bridge", "The bridge field is required.")
        return None
    digits = re.sub(r"[\s+\-()]", "", value)
    found = VoiceNumber.objects.for_account(account).filter(number=digits, kind=NumberKind.BRIDGE).first()
    if found is None:
        errors.add("bridge", "The selected bridge is invalid.")
    return found


def callee(value, field, errors):
    if not str(value or "").strip():
        errors.add(field, f"The {field} field is required.")
        return None, None
    try:
        return normalize(value)
    except InvalidNumber as exc:
        errors.add(field, str(exc))
        return None, None


def find_flow(account, value, errors, field="flow_id"):
    text = str(value or "").strip()
    if not text.isdigit():
        errors.add(field, f"The {field} must be a flow id (a number).")
        return None
    flow = Flow.objects.for_account(account).filter(pk=int(text)).first()
    if flow is None:
        errors.add(field, f"The selected {field} is invalid.")
    return flow


def find_audio(account, value, errors, field="audio"):
    """(reference, known seconds): an uploaded sound's id or an http(s) URL."""
    text = str(value or "").strip()
    if URL.match(text):
        if len(text) > 1000:
            errors.add(field, f"The {field} URL may not be greater than 1000 characters.")
        else:
            try:  # an address the worker would refuse to fetch is refused now, not at call time
                outbound.check_url(text, allow_loopback=settings.VOICE_AUDIO_URLS_ALLOW_LOOPBACK)
            except outbound.Refused as exc:
                errors.add(field, f"The {field} URL cannot be used: {exc}")
        return text, 0.0
    sound = Sound.objects.for_account(account).filter(uuid=text).first() if is_uuid(text) else None
    if sound is None:
        errors.add(field, f"The {field} must be a sound id from Create Sound File or an http(s) URL.")
        return "", 0.0
    return str(sound.uuid), sound.duration_ms / 1000


def check_calling_hours(account, errors, at=None):
    if not _has_settings(account):
        return
    hours = account.voice_settings
    moment = (at or timezone.now()).astimezone(ZoneInfo(hours.timezone))
    local = moment.time()
    start, end = hours.calling_start, hours.calling_end
    inside = start <= local < end if start <= end else (local >= start or local < end)
    if not inside:
        errors.add(
            "to",
            f"Calls may be placed only between {start:%H:%M} and {end:%H:%M} ({hours.timezone}); "
            f"it is {local:%H:%M} there.",
        )


def _has_settings(account):
    try:
        return account.voice_settings is not None
    except VoiceSettings.DoesNotExist:
        return False


def _interval(value, errors):
    text = str(value if value is not None else "0").strip() or "0"
    if not text.isdigit() or int(text) not in RETRY_INTERVALS:
        errors.add("interval", "The interval must be one of 0, 5, 15, 30, 45 or 60 (minutes).")
        return 0
    return int(text)


def _short(value, field, limit, errors):
    text = str(value or "").strip()
    if len(text) > limit:
        errors.add(field, f"The {field} may not be greater than {limit} characters.")
    return text[:limit]


def _suppressed(account, bridge, numbers):
    return consent.suppressed_set(account, "voice", numbers, product_code=pricing.SERVICE, sender=bridge.number)


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
    retry = _interval(interval, errors)
    name = _short(name, "name", 100, errors)
    foreign_id = _short(foreign_id, "foreign_id", 100, errors)
    webhook_id = _short(webhook_id, "webhook_id", 64, errors)
    check_calling_hours(account, errors)
    errors.raise_if_any()
    if _suppressed(account, number, [digits]):
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
    """Operation 2: one call per payload item (`to`, optional `audio` or `variables`). Returns
    (group, calls queued, numbers skipped as unsubscribed)."""
    errors = FieldErrors()
    number = bridge_number(account, bridge, errors)
    flow = None
    default_audio = ("", 0.0)
    if str(flow_id or "").strip():
        flow = find_flow(account, flow_id, errors)
    elif str(audio or "").strip():
        default_audio = find_audio(account, audio, errors)
    if not isinstance(payload, list) or not payload:
        errors.add("payload", "The payload must be a non-empty list of recipients.")
        payload = []
    elif len(payload) > MAX_BULK:
        errors.add("payload", f"The payload may not have more than {MAX_BULK} recipients.")
        payload = []
    name = _short(name, "name", 100, errors)
    webhook_id = _short(webhook_id, "webhook_id", 64, errors)
    check_calling_hours(account, errors)
    errors.raise_if_any()
    rows, seen = [], set()
    sounds = {}
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            errors.add(f"payload.{index}", "Each recipient must be an object with a to field.")
            continue
        digits, iso = callee(item.get("to"), f"payload.{index}.to", errors)
        if digits is None or digits in seen:
            continue
        seen.add(digits)
        item_audio = default_audio
        if item.get("audio"):
            key = str(item["audio"])
            if key not in sounds:
                sounds[key] = find_audio(account, key, errors, field=f"payload.{index}.audio")
            item_audio = sounds[key]
        elif flow is None and not default_audio[0]:
            errors.add(f"payload.{index}.audio", "An audio is required when the request has no flow_id or audio.")
        values = {}
        if flow is not None:
            try:
                values = flows.check_variables(flow, item.get("variables"))
            except ValidationFailed as exc:
                for field, messages in exc.errors.items():
                    errors.add(f"payload.{index}.{field}", messages[0])
        rows.append((digits, iso, item_audio, values))
        if len(errors) > 50:
            break
    errors.raise_if_any()
    skipped = _suppressed(account, number, [r[0] for r in rows])
    rows = [r for r in rows if r[0] not in skipped]
    if not rows:
        raise ValidationFailed({"payload": ["Every recipient has unsubscribed from voice calls."]})
    book = pricing.PriceBook(account)
    seconds = max_call_seconds()
    prices = {iso: book.price(iso, field="payload") for iso in {r[1] for r in rows}}
    reservations = {iso: pricing.reservation(p, seconds, legs=legs_of(flow)) for iso, p in prices.items()}
    total = sum(reservations[r[1]] for r in rows)
    with transaction.atomic():
        group = CallGroup.objects.create(account=account, name=name, total=len(rows), reserved=total)
        calls = insert_calls(
            [
                Call(
                    account=account,
                    group=group,
                    source=Source.OUTGOING,
                    connector=number.connector,
                    bridge=number.number,
                    to=digits,
                    iso=iso,
                    location=iso,
                    flow=flow,
                    audio=item_audio[0],
                    variables=values,
                    name=name,
                    webhook_id=webhook_id,
                    max_seconds=seconds,
                    pulse=prices[iso].pulse,
                    rate=prices[iso].rate,
                    reserved=reservations[iso],
                )
                for digits, iso, item_audio, values in rows
            ]
        )
        billing.reserve(account=account, amount=total, reference=str(group.uuid), api_key=api_key, actor=actor)
        _queue(calls, group)
    return group, calls, skipped


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
    mid = _short(mid, "mid", 100, errors)
    webhook_id = _short(webhook_id, "webhook_id", 64, errors)
    check_calling_hours(account, errors)
    errors.raise_if_any()
    if _suppressed(account, number, [n for n in (first, second) if n]):
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
    tz = account.voice_settings.timezone if _has_settings(account) else settings.TIME_ZONE
    return datetime.now(ZoneInfo(tz))
