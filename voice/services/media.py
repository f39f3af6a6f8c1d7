"""The SIP media worker's loop (run by `manage.py voice_media`, never in web or Celery): claim
queued SIP calls, run each in a thread of a bounded pool (`voice/sip/caller.py`), journal the
outcome, then write the CDR and settle (services/cdr.py).

The journal line is written before the CDR transaction: if the process dies between the two, the
sweeper finds the outcome there and finishes the call with its real CDR.
"""

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from portal.core.errors import DomainError
from voice.models import Call, CallStatus, Connector, NumberKind, Sound, VoiceNumber
from voice.services import calls, cdr, conferences, remote_audio, runner, storage, tts
from voice.sip import caller
from voice.sip.timers import Timers

log = logging.getLogger(__name__)
_journal_lock = threading.Lock()


def carrier_address():
    host, _, port = str(settings.VOICE_SIP_CARRIER).rpartition(":")
    return host or "127.0.0.1", int(port)


def speak(text, voice, language, gender):
    espeak, _ = tts.resolve(voice, language, gender)
    return tts.speak(text, espeak)


def sound_pcm(audio):
    """The PCM a play step sends: a sound file's, or an `audio` URL's (downloaded and converted;
    a URL that cannot be played plays nothing, and the worker's log says why)."""
    if audio and audio.startswith(("http://", "https://")):
        try:
            return caller._pcm_of_wav(remote_audio.wav_of_url(audio))
        except remote_audio.AudioUnavailable as exc:
            log.warning("audio URL not played: %s", exc)
            return b""
    sound = Sound.objects.filter(uuid=audio).first() if audio else None
    if sound is None:
        return b""
    return caller._pcm_of_wav(storage.absolute(sound.path).read_bytes())


def trunk():
    """How the worker reaches the carrier: its address, digest credentials and SIP timers."""
    user = settings.VOICE_SIP_USERNAME
    return {
        "carrier": carrier_address(),
        "auth": (user, settings.VOICE_SIP_PASSWORD) if user else None,
        "timers": Timers(t1=settings.VOICE_SIP_T1, t2=settings.VOICE_SIP_T2),
    }


def journal(call, outcome):
    line = {
        "uuid": str(call.uuid),
        "status": outcome.status,
        "sip_code": outcome.sip_code,
        "ring_seconds": round(outcome.ring_seconds, 2),
        "talk_seconds": outcome.talk_seconds,
        "dtmf": outcome.dtmf,
        "hangup_by": outcome.hangup_by,
    }
    path = storage.root("journal") / f"worker-{os.getpid()}.jsonl"
    with _journal_lock, path.open("a") as out:
        out.write(json.dumps(line) + "\n")


def claim(limit):
    with transaction.atomic():
        ids = list(
            Call.objects.select_for_update(skip_locked=True)
            .filter(connector=Connector.SIP, status=CallStatus.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Call.objects.filter(pk__in=ids).update(status=CallStatus.IN_PROGRESS, start_at=timezone.now())
    return list(Call.objects.filter(pk__in=ids).select_related("flow", "account"))


def run_call(call, *, ring_timeout=30):
    try:
        plan = runner.plan_of(call, {})
        line = trunk()
        outcome = caller.run(
            plan,
            carrier=line["carrier"],
            speak=speak,
            sound_pcm=sound_pcm,
            ring_timeout=ring_timeout,
            auth=line["auth"],
            timers=line["timers"],
        )
        journal(call, outcome)
        cdr.finish([(call, outcome)], started=call.start_at)
        return outcome
    finally:
        if connection.vendor != "sqlite":
            connection.close()


def run_once(*, pool=40, ring_timeout=30):
    """Claim up to `pool` queued SIP calls and run them at once; returns how many ran."""
    close_old_connections()
    calls = claim(pool)
    if not calls:
        return 0
    with ThreadPoolExecutor(max_workers=pool) as executor:
        futures = [executor.submit(run_call, call, ring_timeout=ring_timeout) for call in calls]
        for future in futures:
            try:
                future.result()
            except Exception:  # a call that crashed stays in progress for the sweeper
                log.exception("voice SIP call failed")
    return len(calls)


# Inbound: calls to the account's virtual numbers


def inbound_directory(number):
    if conferences.open_on(number):
        return "conference", calls.max_call_seconds()
    vmn = VoiceNumber.objects.filter(number=number, kind=NumberKind.VMN).select_related("inbound_flow").first()
    if vmn is None:
        return None
    return (vmn.inbound_flow.definition if vmn.inbound_flow_id else None), calls.max_call_seconds()


def inbound_accept(number, caller_number):
    """The inbound call's row and its reservation; None (the call still plays) when refused."""
    vmn = VoiceNumber.objects.filter(number=number, kind=NumberKind.VMN).select_related("account").first()
    conference = conferences.open_on(number)
    account = vmn.account if vmn else conference.account if conference else None
    if account is None:
        return None
    try:
        return calls.inbound(
            account=account, number=number, flow=vmn.inbound_flow if vmn else None, caller=caller_number
        )
    except DomainError as exc:
        log.info("inbound call to %s not recorded: %s", number, exc)
        return None


def inbound_finish(call, outcome):
    journal(call, outcome)
    cdr.finish([(call, outcome)], started=call.start_at)


def inbound_server(host, port):
    from voice.sip.inbound import InboundServer  # noqa: PLC0415  (only the worker listens)

    return InboundServer(
        host=host,
        port=port,
        directory=_cached(inbound_directory),
        accept=inbound_accept,
        finish=inbound_finish,
        speak=speak,
        sound_pcm=sound_pcm,
        conference=conference_admission,
        trunk=trunk(),
    )


def conference_admission(number, pin, present):
    """(room key, role, reason) for a caller who keyed `pin` on a conference number."""
    conference = conferences.find_by_pin(number, pin)
    if conference is None:
        return None, None, "that PIN is not valid"
    role, reason = conferences.admit(conference, pin, present)
    return conference.pk, role, None if role else reason


def _cached(lookup, seconds=30):
    """The VMN directory read at most every `seconds` per number (a burst of INVITEs)."""
    cache = {}

    def read(number):
        hit = cache.get(number)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            value = lookup(number)
        finally:
            connection.close()  # the socket thread holds no connection either
        cache[number] = (time.monotonic() + seconds, value)
        return value

    return read
