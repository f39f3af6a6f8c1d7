"""Running simulator calls: claim queued calls, play them on the virtual clock, write their CDRs.

A claim is a conditional UPDATE (queued -> in progress) under SKIP LOCKED, so two workers given
the same ids never run a call twice; the CDR batch is one transaction (services/cdr.py).
Retries (`interval`) and the SMS a flow sends happen after the CDRs are committed.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from messaging.channels.sms import sending as sms
from voice.connectors import simulator
from voice.connectors.base import CallPlan
from voice.models import Call, CallStatus, Sound, VoiceNumber
from voice.services import billing, cdr

log = logging.getLogger(__name__)
RETRY_ON = ("BUSY", "NOANSWER", "CONGESTION")


def claim(call_ids):
    with transaction.atomic():
        ids = list(
            Call.objects.select_for_update(skip_locked=True)
            .filter(pk__in=call_ids, status=CallStatus.QUEUED)
            .values_list("pk", flat=True)
        )
        Call.objects.filter(pk__in=ids).update(status=CallStatus.IN_PROGRESS, start_at=timezone.now())
    return list(Call.objects.filter(pk__in=ids).select_related("flow", "account").order_by("pk"))


def plan_of(call, sound_seconds):
    return CallPlan(
        id=call.pk,
        uuid=str(call.uuid),
        to=call.to,
        bridge=call.bridge,
        source=call.source,
        call_from=call.call_from,
        flow=call.flow.definition if call.flow_id else None,
        variables=_context(call),
        audio=call.audio,
        audio_seconds=sound_seconds.get(call.audio, 0.0),
        max_seconds=call.max_seconds,
        record=call.record,
        attempts=call.attempts if call.source == "C2C" else 1,
    )


def _context(call):
    """Flow variables: the call's own values and the catalogued globals."""
    now = timezone.localtime()
    values = {
        "id": str(call.uuid),
        "from": call.call_from or call.bridge,
        "to": call.to,
        "bridge": call.bridge,
        "date": now.strftime("%Y-%m-%d %H:%M:%S"),
        "unixtime": str(int(now.timestamp())),
        "start_at": now.strftime("%Y-%m-%d %H:%M:%S"),
        "caller.country": call.iso,
    }
    values.update(call.variables or {})
    return values


def run_simulated(call_ids):
    calls = claim(call_ids)
    if not calls:
        return 0
    sounds = {c.audio for c in calls if c.audio and not c.audio.startswith("http")}
    sound_seconds = {
        str(u): ms / 1000 for u, ms in Sound.objects.filter(uuid__in=sounds).values_list("uuid", "duration_ms")
    }
    cps = {n.number: n.calls_per_second for n in VoiceNumber.objects.filter(number__in={c.bridge for c in calls})}
    completed = Counter()
    pairs = [(call, simulator.run(plan_of(call, sound_seconds), completed=completed)) for call in calls]
    spacing = 1 / max(cps.get(calls[0].bridge, 20), 1)
    cdr.finish(pairs, spacing=spacing)
    _after(pairs)
    return len(pairs)


def _after(pairs):
    for call, outcome in pairs:
        if outcome.sms:
            send_flow_sms(call)
        if call.retry_interval and call.attempt + 1 < call.attempts and call.status in RETRY_ON:
            retry(call)


def send_flow_sms(call):
    """The flow's SMS steps, through the SMS pipeline; each one's answer is kept on the call."""
    results = []
    for index, message in enumerate(call.sms_sent):
        try:
            accepted = sms.submit(
                account=call.account,
                product_code="T",
                outgoing=[sms.Outgoing(to=message["to"] or call.to, sender=message["sender"], message=message["text"])],
                idempotency_key=f"voice-sms:{call.uuid}:{index}",
                source="voice",
            )
            results.append({**message, "status": "submitted", "batch": str(accepted.batch.uuid)})
        except Exception as exc:  # noqa: BLE001  (a refused SMS is recorded on the call, the call stands)
            results.append({**message, "status": "refused", "reason": str(exc)[:200]})
    Call.objects.filter(pk=call.pk).update(sms_sent=results)


COPIED = (
    "account_id",
    "group_id",
    "source",
    "connector",
    "bridge",
    "call_from",
    "to",
    "iso",
    "location",
    "flow_id",
    "audio",
    "variables",
    "options",
    "name",
    "foreign_id",
    "webhook_id",
    "retry_interval",
    "attempts",
    "record",
    "max_seconds",
    "pulse",
    "rate",
    "reserved",
)


def retry(call):
    """Another attempt after `retry_interval` minutes: a new call with its own reservation."""
    due = timezone.now() + timedelta(minutes=call.retry_interval)
    fresh = Call(**{name: getattr(call, name) for name in COPIED}, attempt=call.attempt + 1, due_at=due)
    try:
        with transaction.atomic():
            fresh.save()
            billing.reserve(account=call.account, amount=fresh.reserved, reference=str(fresh.uuid))
    except Exception as exc:  # noqa: BLE001  (no credit for the retry: the first attempt stands)
        log.info("voice retry of %s not placed: %s", call.uuid, exc)
        return None
    return fresh  # the sweeper queues it once due
