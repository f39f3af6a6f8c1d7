"""`make run`: e-mail links follow PORT, and the console shows the URL, the logins and the key only."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.management.commands import runportal
from tests.test_settings_env import settings_with

MAIL_PROBE = (
    "import json, django; from django.conf import settings; "
    "print(json.dumps({'site': settings.SITE_URL, 'mail': settings.EMAIL_BACKEND,"
    " 'mail_dir': str(settings.EMAIL_FILE_PATH)}))"
)


def probe(tmp_path, **env):
    result = settings_with({"DATA_DIR": str(tmp_path), "SECRET_KEY": "k", **env}, probe=MAIL_PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_site_url_follows_the_port_of_the_instance(tmp_path):
    assert probe(tmp_path, PORT="8001")["site"] == "http://localhost:8001"
    assert probe(tmp_path, PORT="8001", SITE_URL="https://portal.example.com/")["site"] == "https://portal.example.com"


def test_emails_go_to_files_unless_the_console_is_asked_for(tmp_path):
    values = probe(tmp_path)
    assert values["mail"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["mail_dir"] == str(tmp_path / "mail")
    assert probe(tmp_path, EMAIL_BACKEND="console")["mail"] == "django.core.mail.backends.console.EmailBackend"


class FinishedProcess:
    returncode = 0

    def poll(self):
        return 0

    def send_signal(self, signum):
        pass

    def wait(self, timeout=None):
        return 0


@pytest.fixture
def started(monkeypatch):
    calls = []

    def popen(cmd, env=None):
        calls.append((cmd, env))
        return FinishedProcess()

    monkeypatch.setattr(runportal.subprocess, "Popen", popen)
    monkeypatch.delenv("RUN_VERBOSE", raising=False)
    monkeypatch.setattr(runportal.signal, "signal", lambda *args: None)
    return calls


def test_runportal_gives_its_port_to_every_process_and_keeps_them_quiet(started, monkeypatch, capsys):
    monkeypatch.setenv("PORT", "8000")
    call_command("runportal", "--port", "8123")
    assert {env["PORT"] for _, env in started} == {"8123"}
    web, worker, beat, *others = (cmd for cmd, _ in started)
    assert "--access-logfile" not in web and web[web.index("--log-level") + 1] == "warning"
    assert "--quiet" in worker and worker[worker.index("--loglevel") + 1] == "WARNING"
    assert "--quiet" in beat and beat[beat.index("--loglevel") + 1] == "WARNING"
    assert "http://localhost:8123/" in capsys.readouterr().out


def test_runportal_starts_the_edge_server_and_points_the_simulator_at_it(started, monkeypatch):
    monkeypatch.delenv("EDGE_PORT", raising=False)
    call_command("runportal", "--port", "8123")
    commands = [cmd for cmd, _ in started]
    (edge,) = [cmd for cmd in commands if "edge" in cmd]
    assert edge[edge.index("--port") + 1] == "8203"  # the web port + 80 unless EDGE_PORT says
    (simulator,) = [cmd for cmd in commands if "messaging.channels.whatsapp.simulator" in cmd]
    assert simulator[simulator.index("--webhook-url") + 1] == "http://127.0.0.1:8203/whatsapp/cloud/webhook"
    assert {env["EDGE_PORT"] for _, env in started} == {"8203"}
    started.clear()
    call_command("runportal", "--port", "8123", "--edge-port", "9001")
    (edge,) = [cmd for cmd, _ in started if "edge" in cmd]
    assert edge[edge.index("--port") + 1] == "9001"


def test_runportal_verbose_logs_requests_and_tasks(started):
    call_command("runportal", "--port", "8123", "--verbose")
    web, worker, *_ = (cmd for cmd, _ in started)
    assert "--access-logfile" in web and worker[worker.index("--loglevel") + 1] == "INFO"


@pytest.mark.django_db
def test_seed_demo_is_silent_at_verbosity_zero(settings, tmp_path, capsys):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", verbosity=0)
    assert capsys.readouterr().out == ""
    assert "Customer login" in (tmp_path / "demo_credentials.txt").read_text()


def test_make_run_echoes_none_of_its_commands():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    for target in ("run", "static", "migrate"):
        recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
        assert recipe and all(line.startswith("\t@") for line in recipe), target
