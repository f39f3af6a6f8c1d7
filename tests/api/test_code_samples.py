"""The API reference's code samples run as written: the demo data (`seed_demo`) behind a live
server, its key in `API_KEY` and the server's address in `PORTAL_URL`, every curl and Python
sample of every operation that needs no object id (reads, the demo SMS send), and the Node and PHP
ones when `node`/`php` are installed. Plus the reference's introduction and tags."""

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
RUNNERS = {
    "Shell": (["bash", "-c"], None),
    "Python": ([sys.executable, "-c"], None),
    "JavaScript": (["node", "-e"], "node"),
    "PHP": (["php", "-r"], "php"),
}


@pytest.fixture
def demo(live_server, settings, tmp_path, product_rows):
    settings.DATA_DIR = tmp_path
    with open(tmp_path / "seed.txt", "w") as out:
        call_command("seed_demo", stdout=out)
    key = (tmp_path / "demo_api_key").read_text().strip()
    schema = requests.get(live_server.url + "/api/schema/?format=json", timeout=60).json()
    env = {**os.environ, "API_KEY": key, "PORTAL_URL": live_server.url}
    return schema, env


def _runnable(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "x-codeSamples" not in op or "{" in path or (method, path) in SKIP:
                continue
            if method == "get" or (method, path) == ("post", "/api/v2/sms/send"):
                yield method, path, op


def _run(lang, source, env):
    command, needs = RUNNERS[lang]
    if needs and not shutil.which(needs):
        return None
    if lang == "PHP":
        source = source.removeprefix("<?php\n")
    return subprocess.run([*command, source], env=env, capture_output=True, text=True, timeout=60)


def test_every_sample_runs_against_the_demo(demo):
    schema, env = demo
    ran, failures = {}, []
    operations = list(_runnable(schema))
    assert len(operations) > 20
    for method, path, op in operations:
        for sample in op["x-codeSamples"]:
            done = _run(sample["lang"], sample["source"], env)
            if done is None:
                continue
            ran[sample["lang"]] = ran.get(sample["lang"], 0) + 1
            if done.returncode != 0:
                failures.append(f"{sample['lang']} {method.upper()} {path}: {done.stdout[-300:]} {done.stderr[-300:]}")
                continue
            out = done.stdout.strip()
            if sample["lang"] in ("Shell", "JavaScript", "PHP"):
                json.loads(out)  # the answer, as the API gave it
    assert not failures, "\n".join(failures)
    assert ran["Shell"] == ran["Python"] == len(operations)
    if shutil.which("node"):
        assert ran["JavaScript"] == len(operations)


def test_the_demo_send_sample_is_accepted_and_charged(demo):
    schema, env = demo
    op = schema["paths"]["/api/v2/sms/send"]["post"]
    source = next(s["source"] for s in op["x-codeSamples"] if s["lang"] == "Shell")
    done = subprocess.run(["bash", "-c", source], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "919876543211" in json.dumps(json.loads(done.stdout))
    from messaging.pipeline.models import Message

    sent = Message.objects.filter(mobile="919876543211", sender="DEMORT").latest("id")
    assert sent.charges > 0 and sent.status != "TEMPLATE-NOT-FOUND"


def test_every_operation_has_four_samples_and_the_reference_its_sections(demo):
    schema, _ = demo
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
