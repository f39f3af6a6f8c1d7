"""Contract tests: the 19 catalogued voice operations (../shared/spec/voice.md), their answers'
shapes and messages, and their refusals in the v2 error envelope."""

import json
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.services import credits
from messaging import consent
from portal.core.events.models import Event
from voice.connectors.audio import rms
from voice.models import Call, Conference, Recording, Sound, VmnLog, VoicePrice
from voice.services import vmn

from .conftest import BRIDGE

pytestmark = pytest.mark.skipif(not shutil.which("ffmpeg") or not shutil.which("espeak-ng"), reason="no ffmpeg/espeak")

QUEUED_KEYS = {
    "id",
    "channel",
    "caller_id",
    "mobile",
    "flow_id",
    "credits",
    "created_at",
    "foreign_id",
    "options",
    "status",
}


@pytest.fixture
def run_calls(django_capture_on_commit_callbacks):
    """Requests whose calls run on the simulator at commit (Celery is eager in tests)."""

    def post(client, path, data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, **kwargs)

    return post


def _audio(tmp_path, ext):
    wav = tmp_path / "tone.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(wav), "synth", "1.5", "sine", "440"], check=True)
    if ext == "wav":
        return wav.read_bytes()
    out = tmp_path / f"tone.{ext}"
    codec = {"mp3": [], "ogg": ["-c:a", "libvorbis"], "m4a": ["-c:a", "aac"]}[ext]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *codec, str(out)], check=True)
    return out.read_bytes()


def test_1_outgoing_send_with_a_flow_and_variables(api_client, bridge, menu_flow, run_calls):
    res = run_calls(
        api_client,
        "/api/v2/outgoing/send",
        {
            "bridge": BRIDGE,
            "to": "+91 98000 00001",
            "flow_id": str(menu_flow.pk),
            "variables[Name]": "Asha",
            "variables[otp]": "12",
        },
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert set(body) == {"status", "message", "data"}
    assert body["status"] == "OK" and body["message"] == "Calls queued successfully"
    (item,) = body["data"]
    assert set(item) == QUEUED_KEYS
    assert item["channel"] == "outgoing" and item["status"] == "queued"
    assert item["caller_id"] == BRIDGE and item["mobile"] == "919800000001" and item["flow_id"] == str(menu_flow.pk)
    call = Call.objects.get(uuid=item["id"])
    assert call.status == "ANSWER" and call.variables == {"Name": "Asha", "otp": "12"}


def test_1_outgoing_send_with_audio_url_and_json(api_client, bridge, run_calls):
    res = run_calls(
        api_client,
        "/api/v2/outgoing/send",
        json.dumps({"bridge": BRIDGE, "to": "919800000001", "audio": "https://cdn.example.com/a.mp3", "interval": 15}),
        content_type="application/json",
    )
    assert res.status_code == 200, res.content
    assert res.json()["data"][0]["flow_id"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"bridge": "910000000000", "to": "919800000001", "audio": "https://x.example/a.wav"}, "bridge"),
        ({"bridge": BRIDGE, "to": "12", "audio": "https://x.example/a.wav"}, "to"),
        ({"bridge": BRIDGE, "to": "919800000001"}, "flow_id"),
        ({"bridge": BRIDGE, "to": "919800000001", "audio": "not-a-sound"}, "audio"),
        ({"bridge": BRIDGE, "to": "919800000001", "flow_id": "999999"}, "flow_id"),
        ({"bridge": BRIDGE, "to": "919800000001", "audio": "https://x.example/a.wav", "interval": "7"}, "interval"),
    ],
)
def test_1_refusals_are_422_and_charge_nothing(api_client, bridge, data, field):
    before = credits.balance(bridge.account)
    res = api_client.post("/api/v2/outgoing/send", data)
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422 and field in body["errors"]
    assert not Call.objects.exists() and credits.balance(bridge.account) == before


def test_1_missing_flow_variables_are_named(api_client, bridge, menu_flow):
    res = api_client.post(
        "/api/v2/outgoing/send",
        {"bridge": BRIDGE, "to": "919800000001", "flow_id": menu_flow.pk, "variables[Name]": "A"},
    )
    assert res.status_code == 422 and "variables.otp" in res.json()["errors"]


def test_2_bulk(api_client, bridge, menu_flow, run_calls):
    payload = [{"to": f"91980000{i:04d}", "variables": {"Name": f"N{i}", "otp": str(i)}} for i in range(1, 4)]
    res = run_calls(
        api_client,
        "/api/v2/outgoing/bulk",
        json.dumps({"bridge": BRIDGE, "flow_id": menu_flow.pk, "payload": payload, "name": "Campaign"}),
        content_type="application/json",
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "3 numbers queued successfully."
    assert body["total"] == 3 and len(body["group_id"]) == 36 and len(body["data"]) == 3
    assert Call.objects.filter(group__uuid=body["group_id"], status="ANSWER").count() == 3


def test_2_bulk_refuses_more_than_50000(api_client, bridge):
    payload = [{"to": "919800000001"}] * 50_001
    res = api_client.post(
        "/api/v2/outgoing/bulk",
        json.dumps({"bridge": BRIDGE, "audio": "https://x.example/a.wav", "payload": payload}),
        content_type="application/json",
    )
    assert res.status_code == 422 and "payload" in res.json()["errors"]


def test_3_tts(api_client, bridge, run_calls):
    res = run_calls(
        api_client,
        "/api/v2/outgoing/tts",
        json.dumps(
            {
                "bridge": BRIDGE,
                "to": "919800000001",
                "text": "Your code is 1 2 3 4 ## I repeat",
                "options": {"voiceid": "Matthew", "break": {"identifier": "##", "time": 1}, "iteration_tries": 2},
            }
        ),
        content_type="application/json",
    )
    assert res.status_code == 200, res.content
    (item,) = res.json()["data"]
    call = Call.objects.get(uuid=item["id"])
    assert item["flow_id"] == str(call.flow_id) and call.flow.generated
    assert [s["text"] for s in call.flow.definition["steps"]] == ["Your code is 1 2 3 4", "I repeat"] * 2
    assert call.status == "ANSWER"


def test_3_tts_refuses_an_unknown_voice(api_client, bridge):
    res = api_client.post(
        "/api/v2/outgoing/tts",
        json.dumps({"bridge": BRIDGE, "to": "919800000001", "text": "Hi", "options": {"voiceid": "Nobody"}}),
        content_type="application/json",
    )
    assert res.status_code == 422 and "options.voiceid" in res.json()["errors"]


def test_4_click_to_call(api_client, bridge, run_calls):
    res = run_calls(
        api_client, "/api/v2/voice/c2c", {"bridge": BRIDGE, "from": "919800000001", "to": "919800000002", "record": "1"}
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert set(body) == {"callId", "message", "status"}
    assert body["message"] == "call initiated successfully" and body["status"] == 200
    call = Call.objects.get(uuid=body["callId"])
    assert call.source == "C2C" and call.status1 == "ANSWER" and call.recordings.count() == 1


def test_4_click_to_call_to_a_flow(api_client, bridge, menu_flow, run_calls):
    res = run_calls(
        api_client,
        "/api/v2/voice/c2c",
        {
            "bridge": BRIDGE,
            "from": "919800000001",
            "to": f"flow:{menu_flow.pk}",
            "variables[Name]": "A",
            "variables[otp]": "1",
        },
    )
    assert res.status_code == 200, res.content
    assert Call.objects.get(uuid=res.json()["callId"]).dtmf == "1"


def test_4_click_to_call_refusals(api_client, bridge):
    res = api_client.post(
        "/api/v2/voice/c2c", {"bridge": BRIDGE, "from": "919800000001", "to": "919800000002", "attempts": "3"}
    )
    assert res.status_code == 422 and "attempts" in res.json()["errors"]


def test_5_6_7_logs_recordings_and_status(api_client, bridge, run_calls):
    res = run_calls(
        api_client,
        "/api/v2/voice/c2c",
        {"bridge": BRIDGE, "from": "919800000001", "to": "919800000002", "record": "1", "mid": "order-7"},
    )
    call = Call.objects.get(uuid=res.json()["callId"])
    today = timezone.localdate()
    span = f"{today - timedelta(days=1):%b %d, %Y} - {today:%b %d, %Y}"
    logs = api_client.get("/api/v2/voice/calls", {"datetime[end_at]": span}).json()
    assert logs["status"] == "OK" and "links" in logs and "meta" in logs
    (row,) = logs["data"]
    assert row["id"] == str(call.uuid) and row["status"] == "ANSWER"
    assert row["duration"] == "00:00:" + f"{call.duration:02d}" and len(row["billing"].split(":")) == 3
    assert row["pulsing"] == "30" and row["charges"] == f"{call.charges:.4f}" and row["location"] == "in"
    assert row["audio"].startswith("http")
    old = "Jan 01, 2001 - Jan 02, 2001"
    assert api_client.get("/api/v2/voice/calls", {"datetime[end_at]": old}).json()["data"] == []
    bad = api_client.get("/api/v2/voice/calls", {"datetime[end_at]": "yesterday"})
    assert bad.status_code == 422 and "datetime[end_at]" in bad.json()["errors"]

    recs = api_client.get("/api/v2/voice/recordings", {"datetime[r.created_at]": span}).json()
    (rec,) = recs["data"]
    assert set(rec) == {"id", "call_from", "call_to", "audio", "duration", "agent", "created_at"}
    audio = api_client.get(rec["audio"].replace("http://localhost:8000", ""))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    assert rms(b"".join(audio.streaming_content)) > 1000

    status = api_client.get("/api/v2/outgoing/callstatus", {"id": str(call.uuid)}).json()
    assert status["status"] == 200 and status["message"] == "OK"
    (item,) = status["data"]
    assert {"id", "channel", "from", "to", "created_at", "foreign_id", "status", "start_at", "end_at", "dtmf"} <= set(
        item
    )
    assert item["status"] == "ANSWER" and item["foreign_id"] == "order-7"
    assert api_client.get("/api/v2/outgoing/callstatus", {"cid": "order-7"}).json()["data"][0]["id"] == str(call.uuid)
    assert api_client.get("/api/v2/outgoing/callstatus", {"mobile": "919800000002"}).json()["data"]
    assert api_client.get("/api/v2/outgoing/callstatus").status_code == 422


def test_recording_urls_expire(api_client, bridge, run_calls, monkeypatch):
    run_calls(
        api_client, "/api/v2/voice/c2c", {"bridge": BRIDGE, "from": "919800000001", "to": "919800000002", "record": "1"}
    )
    url = api_client.get("/api/v2/voice/recordings").json()["data"][0]["audio"].replace("http://localhost:8000", "")
    import time as time_module

    real = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real() + 3601)
    assert api_client.get(url).status_code == 404
    assert api_client.get(url[:-3] + "abc").status_code == 404


@pytest.mark.parametrize("ext", ["wav", "mp3", "ogg", "m4a"])
def test_8_sounds_upload_and_convert(api_client, account, tmp_path, ext):
    upload = SimpleUploadedFile(f"tone.{ext}", _audio(tmp_path, ext))
    res = api_client.post("/api/v2/voice/sounds", {"audio": upload, "name": "Tone"}, format="multipart")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body == {
        "status": "OK",
        "code": 200,
        "message": "Sound uploaded successfully",
        "data": {"id": body["data"]["id"]},
    }
    sound = Sound.objects.get(uuid=body["data"]["id"])
    assert sound.sample_rate == 8000 and 1300 <= sound.duration_ms <= 1700 and max(sound.waveform) == 100


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", "must be a file of type"),
        ("fake.wav", b"RIFF....WAVEfmt this is not audio", "not a readable"),
        ("empty.mp3", b"", "empty"),
    ],
)
def test_8_sounds_refuse_what_is_not_audio(api_client, name, content, message):
    res = api_client.post("/api/v2/voice/sounds", {"audio": SimpleUploadedFile(name, content)}, format="multipart")
    assert res.status_code == 422 and message in res.json()["errors"]["audio"][0], res.json()
    assert not Sound.objects.exists()


def test_an_uploaded_sound_plays_in_a_call(api_client, bridge, tmp_path, run_calls):
    upload = SimpleUploadedFile("tone.wav", _audio(tmp_path, "wav"))
    sound_id = api_client.post("/api/v2/voice/sounds", {"audio": upload}, format="multipart").json()["data"]["id"]
    res = run_calls(api_client, "/api/v2/outgoing/send", {"bridge": BRIDGE, "to": "919800000001", "audio": sound_id})
    assert res.status_code == 200
    assert Call.objects.get().duration == 2  # the 1.5 s sound, rounded


def test_9_pricing(api_client, account):
    VoicePrice.objects.create(
        account=account, iso="IN", country_name="India", calling_code=91, rate=Decimal("0.2"), pulse=15
    )
    body = api_client.get("/api/v2/voice/pricing", {"filter[iso]": "IN"}).json()
    assert body["message"] == "Pricing List"
    (row,) = body["data"]
    assert row["sale_price"] == "0.2000" and row["pulse"] == 15 and row["sub_service"] == "VOI"
    assert row["service_name"] == "Voice Flow" and row["service"] == "VOC"
    assert len(api_client.get("/api/v2/voice/pricing").json()["data"]) >= 5
    assert api_client.get("/api/v2/voice/pricing", {"filter[status]": "x"}).status_code == 422


def test_10_to_16_voice_unsubscribers(api_client, account, bridge, django_capture_on_commit_callbacks):
    base = "/api/v2/outgoing/suppressions/unsubscribers"
    res = api_client.post(base, {"receiver": "919800000005"})
    assert res.status_code == 200 and res.json()["message"] == "Receiver added successfully"
    uid = res.json()["data"]["id"]
    assert Event.objects.filter(type="voice:unsubscription").count() == 1
    assert consent.is_suppressed(account, "voice", "919800000005")
    assert not consent.is_suppressed(account, "sms", "919800000005")
    assert api_client.get(base).json()["message"] == "Unsubscribers list"
    assert api_client.get(f"{base}/{uid}").json()["message"] == "Unsubscribers data"
    edited = api_client.put(f"{base}/{uid}", {"receiver": "919800000006", "type": "all"})
    assert edited.json()["message"] == "Receiver update successfully"
    refused = api_client.post(
        "/api/v2/outgoing/send", {"bridge": BRIDGE, "to": "919800000006", "audio": "https://x.example/a.wav"}
    )
    assert refused.status_code == 422
    assert api_client.delete(f"{base}/{uid}").json()["message"] == "Deleted Successfully"
    api_client.post(base, {"receiver": "919800000007"})
    assert api_client.delete(base).json() == {
        "status": "OK",
        "code": 200,
        "message": "Deleted Successfully",
        "data": [],
    }
    with django_capture_on_commit_callbacks(execute=True):
        imported = api_client.post(
            f"{base}/import", {"file": SimpleUploadedFile("u.csv", b"919800000008\n919800000009\n")}, format="multipart"
        )
    assert imported.json() == {"status": "OK", "message": "Receivers accepted for import"}
    assert consent.suppressed_set(account, "voice", ["919800000008", "919800000009"]) == {
        "919800000008",
        "919800000009",
    }


def test_17_18_conferences(api_client, account):
    res = api_client.post("/api/v2/voice/conference/create", {"name": "Standup", "max_people": "5", "validity": "7"})
    assert res.status_code == 200, res.content
    body = res.json()
    assert set(body) == {"status", "message", "data"} and body["message"] == "Success"
    data = body["data"]
    assert set(data) == {"moderator_pin", "participant_pin", "max_people", "start_date", "end_date"}
    assert data["max_people"] == 5 and data["moderator_pin"] != data["participant_pin"]
    listed = api_client.get("/api/v2/voice/conferences").json()
    assert listed["status"] == "OK" and listed["data"]["per_page"] == 15 and listed["data"]["total"] == 1
    assert listed["data"]["data"][0]["name"] == "Standup"
    for bad in ({"max_people": "11"}, {"max_people": "1"}, {"validity": "6"}, {"validity": "366"}):
        assert api_client.post("/api/v2/voice/conference/create", bad).status_code == 422
    assert Conference.objects.count() == 1


def test_19_vmn_logs_and_their_throttle(api_client, account, monkeypatch):
    from types import SimpleNamespace

    from voice.api import views
    from voice.models import NumberKind, VoiceNumber

    # One fixed minute: a window that turned over mid-test would reset the count.
    monkeypatch.setattr(views, "time", SimpleNamespace(time=lambda: 1_800_000_010.0))
    VoiceNumber.objects.create(account=account, number="918068280099", kind=NumberKind.VMN)
    vmn.record_inbound(number="918068280099", mobile="919800000001", body="offer gold please")
    body = api_client.get("/api/v2/vmn/logs", {"filter[number]": "918068280099"}).json()
    assert set(body) == {"rows"} and body["rows"]["per_page"] == 25
    (row,) = body["rows"]["data"]
    assert row["first_keyword"] == "OFFER" and row["second_keyword"] == "GOLD" and row["serial"] == 1
    assert VmnLog.objects.count() == 1
    for _ in range(29):
        api_client.get("/api/v2/vmn/logs")
    assert api_client.get("/api/v2/vmn/logs").status_code == 429


def test_the_cdr_event_is_catalogued(api_client, bridge, menu_flow, run_calls):
    run_calls(
        api_client,
        "/api/v2/outgoing/send",
        {"bridge": BRIDGE, "to": "919800000001", "audio": "https://x.example/a.wav", "webhook_id": "w-1"},
    )
    event = Event.objects.get(type="voice:message:out")
    assert set(event.payload) >= {
        "id",
        "bridge",
        "from",
        "to",
        "source",
        "mid",
        "flow_id",
        "start_at",
        "end_at",
        "duration",
        "status",
        "recording_url",
    }
    assert event.webhook_id == "w-1"
    assert Recording.objects.count() == 0
