"""Real SIP calls over loopback: the media worker's user agent against the carrier stand-in,
G.711 RTP audio both ways, RFC 4733 DTMF. The callee's recording of the call must hold the TTS
the caller played (not silence)."""

import shutil
import time

import pytest
from django.db import connection

from accounts.services import credits
from portal.core.events.models import Event
from voice.connectors.audio import rms
from voice.models import Call, Connector, NumberKind, VoiceNumber, VoicePrice
from voice.services import calls, conferences, flows, media, storage, sweep
from voice.sip import caller
from voice.sip.carrier import Carrier

from .conftest import BRIDGE

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("espeak-ng"), reason="no espeak-ng"),
]
FLOW = {
    "steps": [
        {"id": "hello", "type": "say", "text": "Hello {{Name}}, press one to confirm", "next": "menu"},
        {"id": "menu", "type": "gather", "timeout": 4, "next": "route"},
        {"id": "route", "type": "branch", "value": "{{menu.digits}}", "cases": {"1": "ok"}, "default": "bye"},
        {"id": "ok", "type": "record", "max_seconds": 1, "next": "bye"},
        {"id": "bye", "type": "say", "text": "Goodbye"},
    ]
}


@pytest.fixture
def carrier(settings):
    stand_in = Carrier().start()
    settings.VOICE_SIP_CARRIER = stand_in.address
    yield stand_in
    stand_in.stop()


@pytest.fixture
def sip_account(product_rows):
    from tests.factories import make_account

    # Transactional tests flush the data migrations' rows: the default Indian price again.
    VoicePrice.objects.get_or_create(
        account=None,
        iso="IN",
        service="VOC",
        sub_service="VOI",
        defaults={"country_name": "India", "calling_code": 91, "rate": "0.3", "pulse": 30},
    )
    account, _ = make_account(credits_amount="1000")
    VoiceNumber.objects.create(account=account, number=BRIDGE, kind=NumberKind.BRIDGE, connector=Connector.SIP)
    return account


def _place(account, to, flow=None, **kwargs):
    flow = flow or flows.create_flow(account=account, name="SIP", definition=FLOW)
    (call,) = calls.outgoing(account=account, bridge=BRIDGE, to=to, flow=flow, variables={"Name": "Asha"}, **kwargs)
    return call


def _heard(carrier, call):
    return next(iter(carrier.recordings.values())) if carrier.recordings else b""


def test_answered_call_plays_tts_the_callee_hears_and_reads_its_dtmf(carrier, sip_account):
    before = credits.balance(sip_account)
    call = _place(sip_account, "919800000001")  # the stand-in presses 1
    assert Call.objects.get(pk=call.pk).status == "queued"  # SIP calls wait for the media worker
    assert media.run_once() == 1
    call.refresh_from_db()
    assert (call.status, call.sip_code, call.dtmf) == ("ANSWER", 200, "1")
    assert call.duration >= 3 and call.settled and call.charges > 0
    assert credits.balance(sip_account) == before - call.charges
    for _ in range(20):
        if carrier.recordings:
            break
        time.sleep(0.1)
    heard = _heard(carrier, call)
    assert len(heard) > 2 * 8000 * 2  # more than 2 s of the caller's audio
    assert rms(caller._wav_of_pcm(heard)) > 500, "the callee heard silence"
    (recording,) = call.recordings.all()  # the record step: what the callee sent (its tone)
    assert rms(storage.absolute(recording.path).read_bytes()) > 500
    assert Event.objects.filter(type="voice:message:out", payload__status="ANSWER").count() == 1
    lines = [line for p in storage.root("journal").glob("*.jsonl") for line in p.read_text().splitlines()]
    assert any(str(call.uuid) in line for line in lines)


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [("919800000486", "BUSY", 486), ("919800000503", "CONGESTION", 503), ("919800000404", "CHANUNAVAIL", 404)],
)
def test_failures_map_sip_codes_and_cost_nothing(carrier, sip_account, number, status, code):
    before = credits.balance(sip_account)
    call = _place(sip_account, number)
    media.run_once()
    call.refresh_from_db()
    assert (call.status, call.sip_code, call.charges, call.settled) == (status, code, 0, True)
    assert credits.balance(sip_account) == before


def test_no_answer_is_cancelled_after_the_ring_timeout(carrier, sip_account):
    call = _place(sip_account, "919800000408")
    media.run_once(ring_timeout=1)
    call.refresh_from_db()
    assert call.status == "NOANSWER" and call.sip_code == 408 and call.charges == 0


def test_forty_simultaneous_calls(carrier, sip_account):
    if connection.vendor != "postgresql":
        pytest.skip("40 threads writing CDRs need PostgreSQL")
    short = {"steps": [{"id": "a", "type": "say", "text": "Your code is four two"}]}
    flow = flows.create_flow(account=sip_account, name="Short", definition=short)
    placed = [_place(sip_account, f"9198000{i:05d}", flow=flow) for i in range(11, 51)]
    start = time.monotonic()
    assert media.run_once(pool=40) == 40
    elapsed = time.monotonic() - start
    assert Call.objects.filter(pk__in=[c.pk for c in placed], status="ANSWER", settled=True).count() == 40
    assert elapsed < 20, f"40 calls took {elapsed:.1f} s: they did not run at once"
    for _ in range(50):  # the stand-in files each recording just after the BYE
        if len(carrier.recordings) == 40:
            break
        time.sleep(0.1)
    assert len(carrier.recordings) == 40
    assert all(rms(caller._wav_of_pcm(pcm)) > 500 for pcm in carrier.recordings.values())


def test_a_crash_after_the_call_is_reconciled_from_the_journal(carrier, sip_account, monkeypatch):
    call = _place(sip_account, "919800000001")

    def crash(pairs, **kwargs):
        raise RuntimeError("worker died after the call")

    monkeypatch.setattr(media.cdr, "finish", crash)
    media.run_once()
    call.refresh_from_db()
    assert call.status == "INPROGRESS" and not call.settled
    monkeypatch.undo()
    from datetime import timedelta

    from django.utils import timezone

    sweep.sweep(now=timezone.now() + timedelta(seconds=call.max_seconds + 3 * sweep.GRACE))
    call.refresh_from_db()
    assert call.status == "ANSWER" and call.dtmf == "1" and call.settled and call.charges > 0


def test_conference_pins_admit_the_moderator_first(sip_account):
    conference = conferences.create_conference(account=sip_account, max_people=3)
    assert conferences.admit(conference, "000", []) == (None, "wrong pin")
    assert conferences.admit(conference, conference.participant_pin, []) == ("participant", "waiting for the moderator")
    assert conferences.admit(conference, conference.moderator_pin, ["participant"]) == ("moderator", None)
    assert conferences.admit(conference, conference.participant_pin, ["moderator"]) == ("participant", None)
    assert (
        conferences.admit(conference, conference.participant_pin, ["moderator", "participant", "participant"])[1]
        == "full"
    )


@pytest.fixture
def hanging_up_carrier(settings):
    stand_in = Carrier(hang_up_after=2.0).start()  # callees put the phone down after 2 s
    settings.VOICE_SIP_CARRIER = stand_in.address
    yield stand_in
    stand_in.stop()


def test_click_to_call_bridges_the_two_legs_with_audio(hanging_up_carrier, sip_account):
    call = calls.click_to_call(
        account=sip_account, bridge=BRIDGE, call_from="919800000001", to="919800000002", record="1"
    )
    media.run_once()
    call.refresh_from_db()
    assert (call.status1, call.status2) == ("ANSWER", "ANSWER")
    assert call.duration2 >= 1 and call.charges > 0 and call.settled
    (recording,) = call.recordings.all()  # the second leg's voice, relayed to the first
    assert rms(storage.absolute(recording.path).read_bytes()) > 500
    assert hanging_up_carrier.invites == 2
    # Each leg heard the other (the stand-in talks a tone on both).
    for _ in range(30):
        if len(hanging_up_carrier.recordings) == 2:
            break
        time.sleep(0.1)
    assert [rms(caller._wav_of_pcm(p)) > 500 for p in hanging_up_carrier.recordings.values()] == [True, True]


def test_a_flow_bridge_step_over_sip(hanging_up_carrier, sip_account):
    definition = {
        "steps": [
            {"id": "hi", "type": "say", "text": "Connecting you", "next": "agent"},
            {"id": "agent", "type": "bridge", "numbers": ["919800000486", "919800000102"], "next": "bye"},
            {"id": "bye", "type": "hangup"},
        ]
    }
    flow = flows.create_flow(account=sip_account, name="Bridge", definition=definition)
    call = _place(sip_account, "919800000001", flow=flow)
    media.run_once()
    call.refresh_from_db()
    assert call.status == "ANSWER"
    assert hanging_up_carrier.invites == 3  # the callee, the busy agent, the agent who answered


@pytest.fixture
def inbound(sip_account):
    flow = flows.create_flow(
        account=sip_account,
        name="Inbound",
        definition={"steps": [{"id": "a", "type": "say", "text": "Thanks for calling us"}]},
    )
    VoiceNumber.objects.create(account=sip_account, number="918068280099", kind=NumberKind.VMN, inbound_flow=flow)
    server = media.inbound_server("127.0.0.1", 0).start()
    yield server
    server.stop()


def _wait_finished(server, count):
    for _ in range(100):
        if server.finished >= count:
            return
        time.sleep(0.1)


def test_an_inbound_call_to_a_vmn_hears_its_flow(inbound, sip_account):
    leg = caller.SipCall(carrier=(inbound.host, inbound.port), bridge="919800000007", to="918068280099", speak=None)
    assert leg.place() == 200
    time.sleep(2)
    heard = bytes(leg.rtp.heard)
    leg.hang_up()
    assert rms(caller._wav_of_pcm(heard)) > 500, "the caller heard silence"
    _wait_finished(inbound, 1)
    call = Call.objects.get(source="IN")
    assert call.call_from == "919800000007" and call.status == "ANSWER" and call.settled and call.charges > 0
    unknown = caller.SipCall(carrier=(inbound.host, inbound.port), bridge="919800000007", to="918068289999", speak=None)
    assert unknown.place() == 404
    unknown.close()


@pytest.mark.skipif(not shutil.which("sipp"), reason="no sipp (Debian sip-tester)")
def test_sipp_load_against_the_inbound_side(inbound):
    import subprocess

    result = subprocess.run(
        [
            "sipp",
            "-sn",
            "uac",
            f"127.0.0.1:{inbound.port}",
            "-s",
            "918068280099",
            "-i",
            "127.0.0.1",
            "-r",
            "20",
            "-m",
            "40",
            "-d",
            "500",
            "-timeout",
            "60",
            "-timeout_error",
            "-nostdin",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    _wait_finished(inbound, 40)
    assert Call.objects.filter(source="IN", status="ANSWER", settled=True).count() == 40


def test_callers_join_a_conference_with_their_pins_moderator_first(inbound, sip_account):
    import threading

    from voice.connectors.audio import tone
    from voice.sip.caller import _pcm_of_wav

    conference = conferences.create_conference(account=sip_account, max_people=3)
    conference.number = "918068280000"  # the platform's dial-in number
    conference.save()
    speech = _pcm_of_wav(tone(3))

    def join(pin):
        leg = caller.SipCall(
            carrier=(inbound.host, inbound.port), bridge="919800000007", to=conference.number, speak=None
        )
        assert leg.place() == 200
        for digit in pin + "#":
            leg.rtp.send_digit(digit)
        return leg

    participant = join(conference.participant_pin)
    time.sleep(1)
    before = len(participant.rtp.heard)
    talking = threading.Thread(target=participant.rtp.send_pcm, args=(speech,))
    talking.start()
    time.sleep(0.5)
    assert rms(caller._wav_of_pcm(bytes(participant.rtp.heard[before:]))) < 50  # alone: silence
    moderator = join(conference.moderator_pin)
    time.sleep(2)
    talking.join()
    heard_by_moderator = bytes(moderator.rtp.heard)
    moderator.hang_up()
    participant.hang_up()
    assert rms(caller._wav_of_pcm(heard_by_moderator)) > 500, "the moderator did not hear the participant"
    wrong = join("000000")
    time.sleep(1.5)
    said = bytes(wrong.rtp.heard)
    wrong.hang_up()
    assert rms(caller._wav_of_pcm(said)) > 300  # "Sorry, that PIN is not valid."
    _wait_finished(inbound, 3)
    assert Call.objects.filter(source="IN", to="918068280000", settled=True).count() == 3
