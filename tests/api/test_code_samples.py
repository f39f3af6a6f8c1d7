"""The API reference's code samples run as written: the demo data (`seed_demo`) behind a live
server, its key in `API_KEY` and the server's address in `PORTAL_URL`, in each of the four
languages (curl, Python, Node, PHP), every sample of every operation that needs no object id (the
reads and the demo SMS send). Each must exit 0 and print the API's own success answer; the demo
send must be accepted and charged. A language whose runtime is missing is skipped, saying which.
Plus the reference's introduction and tags."""

import ast
import json
import os
import shutil
import subprocess
import sys

import pytest
import requests
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

# What an operation needs that the demo does not have, or does on purpose.
SKIP = {
    ("get", "/api/v2/sms/send"),  # the legacy GET send: the POST one is run
    ("get", "/api/v3/auth/token/refresh"),  # needs a bearer token, not the key
}
DEMO_SEND = ("post", "/api/v2/sms/send")
# How each sample is run: the command before the sample's file, and the program it needs.
RUNNERS = {
    "Shell": ["bash"],
    "Python": [sys.executable],
    "JavaScript": ["node"],
    "PHP": ["php"],
}
SUFFIXES = {"Shell": ".sh", "Python": ".py", "JavaScript": ".js", "PHP": ".php"}
INSTALL = {"JavaScript": "Node.js 18 or later", "PHP": "php-cli and php-curl (Debian packages)"}


def _require(lang):
    """Skip when the language's program is missing; fail when PHP lacks the curl extension its
    samples use (that is a broken install, not an absent language)."""
    program = RUNNERS[lang][0]
    if not shutil.which(program):
        pytest.skip(f"`{program}` is not installed, so the {lang} samples cannot run (install {INSTALL[lang]})")
    if lang == "PHP":
        probe = subprocess.run(["php", "-r", "exit(function_exists('curl_init') ? 0 : 1);"], timeout=30)
        assert probe.returncode == 0, "php has no curl extension, which the PHP samples use: install php-curl"


@pytest.fixture
def demo(live_server, settings, tmp_path, product_rows):
    settings.DATA_DIR = tmp_path
    with open(tmp_path / "seed.txt", "w") as out:
        call_command("seed_demo", stdout=out)
    key = (tmp_path / "demo_api_key").read_text().strip()
    schema = requests.get(live_server.url + "/api/schema/?format=json", timeout=60).json()
    env = {**os.environ, "API_KEY": key, "PORTAL_URL": live_server.url}
    return schema, env, tmp_path


def _runnable(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "x-codeSamples" not in op or "{" in path or (method, path) in SKIP:
                continue
            if method == "get" or (method, path) == DEMO_SEND:
                yield method, path, op


def _run(lang, source, workdir, env):
    """Run a sample as a reader would save it: the source in a file, the file given to the program."""
    script = workdir / f"sample{SUFFIXES[lang]}"
    script.write_text(source)
    return subprocess.run(
        [*RUNNERS[lang], str(script)], env=env, cwd=workdir, capture_output=True, text=True, timeout=60
    )


def _answer(lang, stdout):
    """What the sample printed, read back: the API's JSON as it came (curl, Node, PHP), or the
    dict `requests` decoded it to (Python prints that)."""
    text = stdout.strip()
    return ast.literal_eval(text) if lang == "Python" else json.loads(text)


def _assert_success(answer, where):
    """The API's success answer: the envelope says OK (or the catalogued integer 200) and its
    code, when it carries one, is 200; the few catalogued answers without an envelope carry their
    payload (a bearer token, the legacy paginator's `rows`)."""
    assert isinstance(answer, dict), where
    if "status" in answer:
        assert answer["status"] in ("OK", 200), f"{where}: {answer['status']!r}"
        assert answer.get("code", 200) == 200, where
    else:
        assert answer.keys() & {"access_token", "rows"}, f"{where}: {sorted(answer)}"


def _assert_demo_send_charged(answer, where):
    from messaging.pipeline.models import Message

    assert answer["message"] == "1 numbers accepted for delivery.", where
    assert [item["mobile"] for item in answer["data"]] == ["919876543211"], where
    sent = Message.objects.filter(mobile="919876543211", sender="DEMORT").latest("id")
    assert sent.charges > 0 and sent.status != "TEMPLATE-NOT-FOUND", where


@pytest.mark.parametrize("lang", list(RUNNERS))
def test_every_sample_runs_against_the_demo(demo, lang):
    _require(lang)
    schema, env, workdir = demo
    operations = list(_runnable(schema))
    assert len(operations) > 20 and any((m, p) == DEMO_SEND for m, p, _ in operations)
    failures = []
    for method, path, op in operations:
        where = f"{lang} {method.upper()} {path}"
        source = next(s["source"] for s in op["x-codeSamples"] if s["lang"] == lang)
        done = _run(lang, source, workdir, env)
        if done.returncode != 0:
            failures.append(f"{where}: exit {done.returncode}: {done.stdout[-300:]} {done.stderr[-300:]}")
            continue
        try:
            answer = _answer(lang, done.stdout)
            _assert_success(answer, where)
            if (method, path) == DEMO_SEND:  # a fresh demo per language: this send is its only one
                _assert_demo_send_charged(answer, where)
        except (AssertionError, ValueError, SyntaxError) as exc:
            failures.append(f"{where}: {exc!r}: {done.stdout[-300:]}")
    assert not failures, "\n".join(failures)


def test_every_operation_has_four_samples_and_the_reference_its_sections(demo):
    schema, _, _ = demo
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                assert [s["label"] for s in op["x-codeSamples"]] == ["curl", "Python", "PHP", "Node"], (method, path)
                assert op.get("summary"), (method, path)
    text = schema["info"]["description"]
    for heading in ("# Quick start", "# Authentication", "# Errors", "# Rate limits", "# Idempotency"):
        assert heading in text
    tags = {t["name"]: t for t in schema["tags"]}
    assert tags["sms"]["x-displayName"] == "SMS" and tags["developer"]["description"]


def test_key_and_webhook_pages_link_to_their_reference_sections(user_client):
    from django.urls import reverse

    docs = reverse("api_docs")
    keys = user_client.get(reverse("accounts:api_key_list")).content.decode()
    assert f"{docs}#section/Authentication" in keys and f"{docs}#section/Quick-start" in keys
    for name in ("webhooks:webhook_list", "webhooks:delivery_list", "webhooks:subscription_list"):
        page = user_client.get(reverse(name)).content.decode()
        assert f"{docs}#section/Webhooks" in page or f"{docs}#tag/developer" in page, name
