"""What a real trunk needs from the SIP worker, against the carrier stand-in on loopback:
retransmissions over a lossy network (RFC 3261 timers A/B/E/F), digest authentication (401 and
407 answered), parallel ringing (first answer wins, the others CANCELled), bridge steps on
inbound calls, and `audio` URLs downloaded, converted and heard by the callee."""

import http.server
import shutil
import socket
import threading
import time

import pytest

from accounts.services import credits
from portal.core.errors import ValidationFailed
from voice.connectors.audio import rms, tone
from voice.models import Call, NumberKind, VoiceNumber
from voice.services import calls, flows, media
from voice.sip import caller, digest
from voice.sip.carrier import Carrier
from voice.sip.timers import Retransmission, Timers

from .conftest import BRIDGE
from .test_sip import _place, sip_account  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("espeak-ng"), reason="no espeak-ng"),
]
SHORT = {"steps": [{"id": "a", "type": "say", "text": "Your code is four two"}]}
FAST = 0.05  # T1 in these tests: Timer B / F fire after 3.2 s instead of 32 s


@pytest.fixture
def fast_timers(settings):
    settings.VOICE_SIP_T1, settings.VOICE_SIP_T2 = FAST, 0.4


def _stand_in(settings, **options):
    stand_in = Carrier(t1=FAST, t2=0.4, **options).start()
    settings.VOICE_SIP_CARRIER = stand_in.address
    return stand_in


def _call(account, to, definition=SHORT, **kwargs):
    return _place(account, to, flow=flows.create_flow(account=account, name="F", definition=definition), **kwargs)


def _wait(predicate, seconds=5):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not predicate():
        time.sleep(0.05)
    return predicate()


# Timers


def test_the_schedules_follow_rfc_3261():
    timers = Timers(t1=0.5, t2=4.0)
    invite = Retransmission(timers, invite=True, now=0)
    sent = [t for t in (x / 100 for x in range(0, 3300)) if invite.due(now=t)]
    assert sent[:6] == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]  # Timer A: T1, doubling
    assert not invite.timed_out(now=31.9) and invite.timed_out(now=32)  # Timer B: 64·T1
    bye = Retransmission(timers, invite=False, now=0)
    sent = [t for t in (x / 100 for x in range(0, 1600)) if bye.due(now=t)]
    assert sent[:6] == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5]  # Timer E: doubling, capped at T2
    ringing = Retransmission(timers, invite=True, now=0)
    ringing.got_provisional()
    assert not any(ringing.due(now=t) for t in range(1, 40))  # a 1xx stops INVITE retransmissions


def test_lost_invite_ack_and_bye_are_retransmitted(settings, fast_timers, sip_account):  # noqa: F811
    stand_in = _stand_in(settings, lose={"INVITE": 1, "ACK": 1, "BYE": 1})
    try:
        call = _call(sip_account, "919800000001")
        media.run_once()
        call.refresh_from_db()
        assert (call.status, call.sip_code, call.settled) == ("ANSWER", 200, True) and call.charges > 0
        assert stand_in.received["INVITE"] == 2  # the first was lost: Timer A sent it again
        assert stand_in.received["ACK"] >= 2  # the 200 came again (its ACK lost) and was ACKed again
        assert stand_in.received["BYE"] == 2  # Timer E
        assert _wait(lambda: len(stand_in.recordings) == 1)
        assert rms(caller._wav_of_pcm(next(iter(stand_in.recordings.values())))) > 500
    finally:
        stand_in.stop()


def test_a_trunk_that_never_answers_times_out_at_64_t1(settings, fast_timers, sip_account):  # noqa: F811
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    silent.settimeout(0.2)
    settings.VOICE_SIP_CARRIER = f"127.0.0.1:{silent.getsockname()[1]}"
    got = []

    def count():
        end = time.monotonic() + 6
        while time.monotonic() < end:
            try:
                got.append(silent.recvfrom(65535)[0])
            except TimeoutError:
                continue

    listener = threading.Thread(target=count)
    listener.start()
    before = credits.balance(sip_account)
    call = _call(sip_account, "919800000001")
    start = time.monotonic()
    media.run_once()
    elapsed = time.monotonic() - start
    listener.join()
    silent.close()
    call.refresh_from_db()
    assert (call.status, call.sip_code, call.charges) == ("NOANSWER", 408, 0)
    assert 64 * FAST - 0.2 <= elapsed < 64 * FAST + 3
    invites = [g for g in got if g.startswith(b"INVITE")]
    assert 5 <= len(invites) <= 7 and len({i for i in invites}) == 1  # the same request, again and again
    assert credits.balance(sip_account) == before


# Digest authentication


@pytest.mark.parametrize("proxy", [False, True], ids=["401", "407"])
def test_the_trunks_challenge_is_answered(settings, fast_timers, sip_account, proxy):  # noqa: F811
    settings.VOICE_SIP_USERNAME, settings.VOICE_SIP_PASSWORD = "portal-trunk", "s3cret"
    stand_in = _stand_in(settings, users={"portal-trunk": "s3cret"}, proxy=proxy)
    try:
        call = _call(sip_account, "919800000001")
        media.run_once()
        call.refresh_from_db()
        assert (call.status, call.sip_code) == ("ANSWER", 200) and call.charges > 0
        assert stand_in.challenged == 2  # the INVITE and the BYE
        assert len(stand_in.calls) == 1 and stand_in.invites == 1
    finally:
        stand_in.stop()


@pytest.mark.parametrize(("user", "password", "code"), [("", "", 401), ("portal-trunk", "wrong", 403)])
def test_missing_or_wrong_credentials_fail_the_call_at_no_charge(
    settings,
    fast_timers,
    sip_account,  # noqa: F811
    user,
    password,
    code,
):
    settings.VOICE_SIP_USERNAME, settings.VOICE_SIP_PASSWORD = user, password
    stand_in = _stand_in(settings, users={"portal-trunk": "s3cret"})
    try:
        before = credits.balance(sip_account)
        call = _call(sip_account, "919800000001")
        media.run_once()
        call.refresh_from_db()
        assert (call.status, call.sip_code, call.charges, call.settled) == ("CHANUNAVAIL", code, 0, True)
        assert credits.balance(sip_account) == before and stand_in.invites == 0
    finally:
        stand_in.stop()


def test_digest_matches_rfc_2617s_example():
    assert (
        digest.expected(
            username="Mufasa",
            password="Circle Of Life",
            realm="testrealm@host.com",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
            method="GET",
            uri="/dir/index.html",
            qop="auth",
            nc="00000001",
            cnonce="0a4f113b",
        )  # fmt: skip
        == "6629fae49393a05397450978507c4ef1"
    )
    header = digest.authorization(
        {"realm": "r", "nonce": "n", "qop": "auth"}, username="u", password="p", method="INVITE", uri="sip:1@h"
    )
    assert digest.verify(header, users={"u": "p"}, realm="r", nonces={"n"}, method="INVITE")
    assert not digest.verify(header, users={"u": "other"}, realm="r", nonces={"n"}, method="INVITE")
    assert not digest.verify(header, users={"u": "p"}, realm="r", nonces={"stale"}, method="INVITE")
    with pytest.raises(ValueError, match="unsupported"):
        digest.authorization({"algorithm": "SHA-512-256"}, username="u", password="p", method="X", uri="u")


# Parallel ringing


def test_parallel_ringing_bridges_the_first_answer_and_cancels_the_rest(settings, fast_timers, sip_account):  # noqa: F811
    stand_in = _stand_in(settings, hang_up_after=1.5)
    definition = {
        "steps": [
            {"id": "hi", "type": "say", "text": "Connecting", "next": "agents"},
            {
                "id": "agents",
                "type": "bridge",
                "strategy": "parallel",
                "timeout": 20,
                "numbers": ["919800000408", "919800000105", "919800000486"],
                "next": "bye",
            },
            {"id": "bye", "type": "hangup"},
        ]
    }
    try:
        call = _call(sip_account, "919800000001", definition)
        start = time.monotonic()
        media.run_once()
        elapsed = time.monotonic() - start
        call.refresh_from_db()
        assert call.status == "ANSWER" and call.settled
        assert stand_in.invites == 4  # the callee, then the three agents at once
        agents = {state["number"]: state for state in stand_in.calls.values()}
        assert agents["919800000408"].get("cancelled") is True  # still ringing: CANCELled
        assert stand_in.received.get("CANCEL", 0) == 1
        invited = sorted(state["invite_at"] for n, state in agents.items() if n != "919800000001")
        assert invited[-1] - invited[0] < 0.5  # rung together, not in turn
        assert elapsed < 15, "the ringing leg was waited for (its timeout is 20 s)"
    finally:
        stand_in.stop()


def test_parallel_ringing_with_nobody_answering_fails_over(settings, fast_timers, sip_account):  # noqa: F811
    stand_in = _stand_in(settings)
    definition = {
        "steps": [
            {
                "id": "agents",
                "type": "bridge",
                "strategy": "parallel",
                "timeout": 5,
                "numbers": ["919800000408", "919800001408"],
                "failed": "sorry",
            },
            {"id": "sorry", "type": "say", "text": "Nobody is free"},
        ]
    }
    try:
        call = _call(sip_account, "919800000001", definition)
        media.run_once()
        call.refresh_from_db()
        assert call.status == "ANSWER"
        assert stand_in.received.get("CANCEL", 0) == 2  # both CANCELled at the ring timeout
    finally:
        stand_in.stop()


# Inbound calls with a bridge step


def test_an_inbound_call_is_bridged_to_an_agent(settings, fast_timers, sip_account):  # noqa: F811
    stand_in = _stand_in(settings, hang_up_after=1.5)
    definition = {
        "steps": [
            {"id": "hi", "type": "say", "text": "Putting you through", "next": "agent"},
            {"id": "agent", "type": "bridge", "numbers": ["919800000106"], "record": True},
        ]
    }
    flow = flows.create_flow(account=sip_account, name="Inbound bridge", definition=definition)
    VoiceNumber.objects.create(account=sip_account, number="918068280098", kind=NumberKind.VMN, inbound_flow=flow)
    server = media.inbound_server("127.0.0.1", 0).start()
    try:
        leg = caller.SipCall(carrier=(server.host, server.port), bridge="919800000007", to="918068280098", speak=None)
        assert leg.place() == 200
        assert _wait(lambda: stand_in.invites == 1, 10)  # the agent is rung from the VMN
        (agent,) = stand_in.calls.values()
        assert agent["number"] == "919800000106" and "918068280098@" in agent["invite"].headers["from"]
        heard_from = len(leg.rtp.heard)
        assert _wait(lambda: agent["done"].is_set(), 10)
        agent_voice = bytes(leg.rtp.heard[heard_from:])
        leg.rtp.send_silence(0.3)
        leg.hang_up()
        assert rms(caller._wav_of_pcm(agent_voice)) > 500, "the caller did not hear the agent"
        assert _wait(lambda: server.finished >= 1, 30)
        call = Call.objects.get(source="IN", to="918068280098")
        assert call.status == "ANSWER" and call.settled and call.charges > 0
        (recording,) = call.recordings.all()
        assert recording.agent == "919800000106"
    finally:
        server.stop()
        stand_in.stop()


# audio URLs


@pytest.fixture
def audio_site():
    """A loopback web server: /tone.wav is 3 s of tone, /page.html is not audio."""
    body = tone(3)

    class Handler(http.server.BaseHTTPRequestHandler):
        hits = []

        def do_GET(self):  # noqa: N802
            Handler.hits.append(self.path)
            data, kind = (body, "audio/wav") if self.path == "/tone.wav" else (b"<html>no</html>", "text/html")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.hits = Handler.hits
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()


def test_an_audio_url_is_downloaded_converted_and_heard(settings, fast_timers, sip_account, audio_site):  # noqa: F811
    settings.VOICE_AUDIO_URLS_ALLOW_LOOPBACK = True
    stand_in = _stand_in(settings)
    try:
        placed = [
            calls.outgoing(account=sip_account, bridge=BRIDGE, to=to, audio=f"{audio_site.url}/tone.wav")[0]
            for to in ("919800000011", "919800000012")
        ]
        assert media.run_once() == 2
        for call in placed:
            call.refresh_from_db()
            assert call.status == "ANSWER" and call.duration >= 3
        assert audio_site.hits == ["/tone.wav"]  # downloaded once, then from the cache
        assert _wait(lambda: len(stand_in.recordings) == 2)
        for pcm in stand_in.recordings.values():
            assert len(pcm) > 2.5 * 8000 * 2 and rms(caller._wav_of_pcm(pcm)) > 500
    finally:
        stand_in.stop()


def test_an_audio_url_that_is_not_audio_plays_nothing(settings, fast_timers, sip_account, audio_site):  # noqa: F811
    settings.VOICE_AUDIO_URLS_ALLOW_LOOPBACK = True
    stand_in = _stand_in(settings)
    try:
        (call,) = calls.outgoing(
            account=sip_account, bridge=BRIDGE, to="919800000013", audio=f"{audio_site.url}/page.html"
        )
        media.run_once()
        call.refresh_from_db()
        assert call.status == "ANSWER" and call.settled
        assert _wait(lambda: len(stand_in.recordings) == 1)
        assert rms(caller._wav_of_pcm(next(iter(stand_in.recordings.values())))) < 50
    finally:
        stand_in.stop()


@pytest.mark.parametrize("url", ["http://10.0.0.7/a.wav", "http://127.0.0.1/a.wav", "http://[::1]/a.wav"])
def test_an_audio_url_the_worker_may_not_fetch_is_refused_when_the_call_is_made(sip_account, url):  # noqa: F811
    before = credits.balance(sip_account)
    with pytest.raises(ValidationFailed) as refused:
        calls.outgoing(account=sip_account, bridge=BRIDGE, to="919800000014", audio=url)
    assert "audio" in refused.value.errors
    assert credits.balance(sip_account) == before and not Call.objects.filter(to="919800000014").exists()
