"""Call detail records: a connector's Outcome written onto its call, the `voice:message:out`
event, recordings and the settlement, all in one transaction per batch of calls.

A batch either lands whole (CDRs, events, recordings, refunds) or not at all, so a worker that
dies mid-batch leaves its calls in progress for the sweeper (services/sweep.py) and no money moved
twice. Charges: every leg billed by its own pulse-rounded seconds at its country's rate, capped
at the call's reservation (a call is cut at its maximum duration, so the cap only absorbs
rounding).
"""

import json
import uuid as uuid_module
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from portal.core import bulk, events
from portal.core.phone_numbers import normalize
from voice.events import VOICE_MESSAGE_OUT
from voice.models import Call, CallStatus, Recording, Source
from voice.services import billing, pricing, storage

CDR_FIELDS = [
    "status",
    "status1",
    "status2",
    "sip_code",
    "dtmf",
    "hangup_by",
    "start_at",
    "answer_at",
    "end_at",
    "duration",
    "duration2",
    "billing",
    "charges",
    "notes",
    "sms_sent",
]
RECORDING_URL_SECONDS = 2 * 3600  # webhooks: "valid 2 hours"


def cdr_time(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _legs_charge(call, outcome, book):
    """(billed seconds, charges) of every leg of the call."""
    seconds = pricing.billable_seconds(outcome.talk_seconds, call.pulse)
    amount = pricing.charge(outcome.talk_seconds, call.rate, call.pulse) if outcome.talk_seconds else 0
    for leg in outcome.legs:
        if not leg.seconds or not leg.number.isdigit():
            continue
        try:
            iso = _iso(leg.number)
            price = book.price(iso)
        except Exception:  # noqa: BLE001  (an unpriced bridged leg is billed at the call's own rate)
            price = None
        rate, pulse = (price.rate, price.pulse) if price else (call.rate, call.pulse)
        seconds += pricing.billable_seconds(leg.seconds, pulse)
        amount += pricing.charge(leg.seconds, rate, pulse)
    return seconds, min(amount, call.reserved)


def _iso(number):
    return normalize(number)[1]


def apply(call, outcome, *, started, book):
    """Fill the call's CDR fields from the outcome (in memory); returns its recordings' rows."""
    call.status = outcome.status
    call.sip_code = outcome.sip_code
    call.dtmf = outcome.dtmf[:100]
    call.hangup_by = outcome.hangup_by or ("caller" if outcome.status != CallStatus.ANSWER else "agent")
    call.start_at = started
    call.answer_at = started + timedelta(seconds=outcome.ring_seconds) if outcome.status == "ANSWER" else None
    call.end_at = started + timedelta(seconds=outcome.ring_seconds + outcome.talk_seconds)
    call.duration = outcome.talk_seconds
    call.notes = outcome.notes[:255]
    call.sms_sent = [{"to": to, "sender": sender, "text": text} for to, sender, text in outcome.sms]
    if call.source == Source.CLICK_TO_CALL and outcome.first_leg:
        call.status1 = outcome.first_leg.status
        second = outcome.legs[0] if outcome.legs else None
        call.status2 = second.status if second else ""
        call.duration2 = second.seconds if second else 0
    call.billing, call.charges = _legs_charge(call, outcome, book)
    rows = []
    for recording in outcome.recordings:
        rec_uuid = uuid_module.uuid4()
        path = storage.save("recordings", f"{rec_uuid}.wav", recording.wav)
        rows.append(
            Recording(
                uuid=rec_uuid,
                account_id=call.account_id,
                call=call,
                path=path,
                duration=recording.seconds,
                agent=recording.agent,
            )
        )
    return rows


def payload(call, recording=None):
    """The `voice:message:out` CDR as catalogued (webhooks.md §13)."""
    data = {
        "id": str(call.uuid),
        "bridge": call.bridge,
        "from": call.call_from or call.bridge,
        "to": call.to,
        "source": "C2C" if call.source == Source.CLICK_TO_CALL else "OBD",
        "mid": call.foreign_id or str(call.uuid),
        "flow_id": call.flow_id,
        "start_at": cdr_time(call.start_at),
        "end_at": cdr_time(call.end_at),
        "duration": str(call.duration),
        "status": call.status,
        "recording_url": storage.signed_url("recording", recording.uuid, seconds=RECORDING_URL_SECONDS)
        if recording
        else "",
        "webhook_id": call.webhook_id,
    }
    if call.source == Source.CLICK_TO_CALL:
        data.update(
            {
                "date": cdr_time(call.start_at),
                "unixtime": str(int(call.start_at.timestamp())) if call.start_at else "",
                "billing": str(call.duration2),
                "status1": call.status1,
                "status2": call.status2,
                "status": "COMPLETED" if call.status1 == "ANSWER" and call.status2 == "ANSWER" else call.status,
                "hangup_by": call.hangup_by,
            }
        )
    return data


def write_cdrs(calls):
    """The CDR columns of these calls in one statement: COPY into a temporary table and one
    UPDATE ... FROM on PostgreSQL (portal.core.bulk; Django's bulk_update built a CASE per column
    and row: 15 ms a call); bulk_update elsewhere."""
    if connection.vendor != "postgresql":
        Call.objects.bulk_update(calls, CDR_FIELDS, batch_size=500)
        return
    columns = [Call._meta.get_field(name).column for name in CDR_FIELDS]
    rows = (
        [call.pk, *(json.dumps(call.sms_sent) if name == "sms_sent" else getattr(call, name) for name in CDR_FIELDS)]
        for call in calls
    )
    bulk.copy_update(Call._meta.db_table, "id", columns, rows)


def finish(pairs, *, started=None, spacing=0.0):
    """Write the CDRs of [(call, outcome)] (calls claimed by this worker), emit their events and
    settle them. `spacing` staggers start times (the simulator's calls-per-second on its clock)."""
    if not pairs:
        return 0
    started = started or timezone.now()
    books = {}
    recordings = []
    with transaction.atomic():
        # Only calls still live get a CDR: the sweeper and a slow worker may both finish a call.
        live = set(
            Call.objects.select_for_update()
            .filter(pk__in=[call.pk for call, _ in pairs], status__in=CallStatus.LIVE)
            .values_list("pk", flat=True)
        )
        pairs = [(call, outcome) for call, outcome in pairs if call.pk in live]
        if not pairs:
            return 0
        for index, (call, outcome) in enumerate(pairs):
            book = books.setdefault(call.account_id, pricing.PriceBook(call.account))
            recordings += apply(call, outcome, started=started + timedelta(seconds=index * spacing), book=book)
        calls = [call for call, _ in pairs]
        write_cdrs(calls)
        Recording.objects.bulk_create(recordings, batch_size=1000)
        first_recording = {}
        for rec in recordings:
            first_recording.setdefault(rec.call_id, rec)
        events.emit_many(
            [
                events.pending(
                    account_id=call.account_id,
                    type=VOICE_MESSAGE_OUT,
                    payload=payload(call, first_recording.get(call.pk)),
                    webhook_id=call.webhook_id,
                    identity=f"number:{call.bridge}",
                )
                for call in calls
            ]
        )
        billing.settle([call.pk for call in calls])
    return len(pairs)
