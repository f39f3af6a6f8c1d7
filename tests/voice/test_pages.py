"""Voice pages: composer (single, bulk, TTS preview), flow editor with validation, graph and a test
call, sounds upload and player, call logs with the recording, live calls, conferences, numbers."""

import json
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from voice.models import Call, Conference, Flow, Sound
from voice.services import storage

from .conftest import BRIDGE, MENU

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_every_voice_page_renders(user_client, bridge, menu_flow):
    for name in (
        "composer",
        "flow_list",
        "flow_create",
        "sound_list",
        "call_list",
        "live_calls",
        "conference_list",
        "number_list",
    ):
        res = user_client.get(reverse(f"voice:{name}"))
        assert res.status_code == 200, name
        assert b"<script>" not in res.content and b" style=" not in res.content
    assert BRIDGE in user_client.get(reverse("voice:number_list")).content.decode()


def test_composer_places_a_single_call(user_client, bridge, menu_flow, django_capture_on_commit_callbacks):
    data = {
        "mode": "single",
        "single-bridge": BRIDGE,
        "single-to": "919800000001",
        "single-flow": str(menu_flow.pk),
        "single-variables": "Name=Asha\notp=77",
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = user_client.post(reverse("voice:composer"), data)
    assert res.status_code == 302
    call = Call.objects.get()
    assert call.status == "ANSWER" and call.variables == {"Name": "Asha", "otp": "77"}


def test_composer_shows_service_errors(user_client, bridge, menu_flow):
    data = {"mode": "single", "single-bridge": BRIDGE, "single-to": "919800000001", "single-flow": str(menu_flow.pk)}
    res = user_client.post(reverse("voice:composer"), data)
    assert res.status_code == 422 and b"variables.Name" in res.content or b"required by flow" in res.content
    assert not Call.objects.exists()


def test_composer_bulk(user_client, bridge, django_capture_on_commit_callbacks):
    sound = Sound.objects.create(
        account=bridge.account, name="s", path=storage.save("sounds", "s.wav", b"RIFF"), duration_ms=3000
    )
    data = {
        "mode": "bulk",
        "bulk-bridge": BRIDGE,
        "bulk-to": "919800000001\n919800000002",
        "bulk-audio": str(sound.uuid),
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = user_client.post(reverse("voice:composer"), data)
    assert res.status_code == 302 and Call.objects.filter(status="ANSWER").count() == 2


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="no espeak-ng")
def test_tts_preview_plays_the_exact_speech(user_client, bridge):
    res = user_client.post(reverse("voice:tts_preview"), {"tts-text": "Your code is 4 2", "tts-voiceid": "Amy"}, **HTMX)
    assert res.status_code == 200
    html = res.content.decode()
    src = html.split('src="')[1].split('"')[0]
    audio = user_client.get(src)
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    assert len(b"".join(audio.streaming_content)) > 8000


def test_flow_editor_validates_saves_and_draws(user_client, account):
    bad = {
        "steps": [
            {"id": "a", "type": "say", "text": "x", "next": "b"},
            {"id": "b", "type": "say", "text": "y", "next": "a"},
        ]
    }
    res = user_client.post(reverse("voice:flow_create"), {"name": "Loop", "definition": json.dumps(bad)})
    assert res.status_code == 422 and b"loop without an exit" in res.content and not Flow.objects.exists()
    res = user_client.post(reverse("voice:flow_create"), {"name": "Menu", "definition": json.dumps(MENU)})
    flow = Flow.objects.get()
    assert res.status_code == 302 and res["Location"] == reverse("voice:flow_edit", args=[flow.pk])
    page = user_client.get(reverse("voice:flow_edit", args=[flow.pk])).content.decode()
    assert "<svg" in page and page.count("<rect") == len(MENU["steps"]) and "Name, otp" in page
    res = user_client.post(reverse("voice:flow_edit", args=[flow.pk]), {"name": "Menu 2", "definition": "{not json"})
    assert res.status_code == 422 and b"valid JSON" in res.content


def test_flow_test_call_runs_on_the_simulator(user_client, bridge, menu_flow, django_capture_on_commit_callbacks):
    url = reverse("voice:flow_test_call", args=[menu_flow.pk])
    with django_capture_on_commit_callbacks(execute=True):
        res = user_client.post(url, {"test-to": "919800000001", "test-variables": "Name=A\notp=1"}, **HTMX)
    assert res.status_code == 200 and b"Test call placed" in res.content
    call = Call.objects.get()
    detail = user_client.get(reverse("voice:call_detail", args=[call.uuid])).content.decode()
    assert 'data-testid="recording"' in detail
    src = detail.split('data-testid="recording"')[0].rsplit('src="', 1)[1].split('"')[0]
    assert user_client.get(src).status_code == 200


@pytest.mark.skipif(not shutil.which("sox"), reason="no sox")
def test_sound_upload_and_player(user_client, account, tmp_path):
    wav = tmp_path / "t.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(wav), "synth", "1", "sine", "300"], check=True)
    res = user_client.post(
        reverse("voice:sound_upload"), {"name": "Hold", "audio": SimpleUploadedFile("t.wav", wav.read_bytes())}
    )
    assert res.status_code == 302
    page = user_client.get(reverse("voice:sound_list")).content.decode()
    assert "Hold" in page and "<audio" in page and page.count("<rect") >= 30
    res = user_client.post(reverse("voice:sound_upload"), {"audio": SimpleUploadedFile("x.mp3", b"nope")})
    assert res.status_code == 422 and Sound.objects.count() == 1


def test_conference_create_page(user_client, account):
    res = user_client.post(reverse("voice:conference_create"), {"name": "Weekly", "max_people": 4, "validity": 10})
    assert res.status_code == 302 and Conference.objects.get().max_people == 4
    assert user_client.post(reverse("voice:conference_create"), {"max_people": 40, "validity": 10}).status_code == 422


def test_demo_data_places_a_call_with_the_demo_key(db, settings, tmp_path, django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from voice import demo

    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    summary = (tmp_path / "demo_credentials.txt").read_text()
    assert demo.BRIDGE in summary and "outgoing/send" in summary
    key = (tmp_path / "demo_api_key").read_text().strip()
    flow = Flow.objects.get(name="Welcome menu")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post(
            "/api/v2/outgoing/send",
            {
                "bridge": demo.BRIDGE,
                "to": "919800000001",
                "flow_id": flow.pk,
                "variables[Name]": "A",
                "variables[otp]": "1",
            },
        )
    assert res.status_code == 200, res.content
    assert Call.objects.get(uuid=res.json()["data"][0]["id"]).status == "ANSWER"
    assert Sound.objects.filter(account=flow.account).exists() == bool(shutil.which("ffprobe"))
