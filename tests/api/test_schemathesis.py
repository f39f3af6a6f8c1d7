"""Schemathesis against the served OpenAPI schema (`/api/schema/`): every v2 (and v3 token)
operation is called with generated requests, and the run fails on any 5xx or any answer the schema
does not declare (status code, content type, headers, body).

Marked `schemathesis` and left out of the default run (pyproject addopts); `.ci/run` runs it on
its own: `pytest -m schemathesis -p no:xdist tests/api/test_schemathesis.py`. The generation is
bounded (ST_MAX_EXAMPLES per operation, 10 by default) and seeded (ST_SEED), so a failure replays.
The portal runs in this process (pytest-django's live server); the CLI runs in a child process,
as CI would run it against a deployment.
"""

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.servers.basehttp import WSGIRequestHandler

from accounts.models import Role
from accounts.services import apikeys
from messaging import consent
from messaging.channels.whatsapp import media, message_templates, numbers
from messaging.models import AccountProduct, Channel, Product
from messaging.pricing.services import save_price
from messaging.suppressions.models import ScopeType
from tests.api.world import build_world
from tests.factories import make_account

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

SEED = os.environ.get("ST_SEED", "20261203")
MAX_EXAMPLES = os.environ.get("ST_MAX_EXAMPLES", "10")
# 5xx and conformance of every answer to the schema. Stricter checks (negative_data_rejection,
# positive_data_acceptance) would hold the API to refusing or accepting exactly what the schema's
# types say; business rules (an approved sender, a priced country) make them noise here.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "ignored_auth",
        "unsupported_method",
    ]
)
TIMEOUT_SECONDS = 600
# How often a generated request to an id path names one of the account's objects instead of a
# random id (which is a 404 before the handler reads its input).
REAL_ID_PROBABILITY = 0.5

# The object each path placeholder names, by the path's resource (tests/api/world.py builds one of each).
CONTACT_PLACEHOLDERS = {"id": "contact", "iid": "identifier", "sid": "subscription"}
RESOURCES = [
    ("/api/v2/contacts/tags/", "tag"),
    ("/api/v2/contacts/segments/", "segment"),
    ("/api/v2/contacts/import/subscribers/", "import"),
    ("/api/v2/sms/senders/", "sender"),
    ("/api/v2/sms/templates/", "template"),
    ("/api/v2/sms/suppressions/unsubscribers/", "unsubscriber"),
    ("/api/v2/sms/suppressions/templates/", "blocked"),
    ("/api/v2/sms/suppressions/imports/", "suppression_import"),
    ("/api/v2/developer/webhooks/", "webhook"),
    ("/api/v2/developer/subscriptions/", "webhook_subscription"),
    ("/api/v2/whatsapp/templates/", "whatsapp_template"),
    ("/api/v2/whatsapp/media/", "whatsapp_media"),
    ("/api/v2/whatsapp/suppressions/unsubscribers/", "whatsapp_unsubscriber"),
    ("/api/v2/whatsapp/optout/", "whatsapp_optout"),
    ("/api/v2/outgoing/suppressions/unsubscribers/", "voice_unsubscriber"),
]
# The objects tests/api/world.py builds (World.arg names); the fixture adds WhatsApp and voice ones.
WORLD_OBJECTS = (
    "contact",
    "identifier",
    "subscription",
    "tag",
    "segment",
    "import",
    "sender",
    "template",
    "unsubscriber",
    "blocked",
    "suppression_import",
    "webhook",
    "webhook_subscription",
)
BUSINESS_NUMBER = "919019120000"
# The request examples the schema documents for the sends (the examples phase sends them as they
# are) name these: the world's approved sender AcmeUK on service G with a UK price, its template
# `welcome`, and a WhatsApp business number with its service template `welcome`.
OPTED_OUT = "919876543299"


def _loopback(address):
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return str(host) == "localhost"


@pytest.fixture
def loopback_only(monkeypatch):
    """Generated webhook and import URLs must never leave the machine: names resolve only when
    they are loopback, and sockets connect only to loopback (the SSRF guard's refusals still run)."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if host is None or _loopback(host if not isinstance(host, bytes) else host.decode()):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "name resolution is off in this test")

    def guarded(real):
        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
                raise ConnectionRefusedError("only loopback connections in this test")
            return real(sock, address)

        return connect

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))


@pytest.fixture
def no_nagle(monkeypatch):
    """The live server writes headers and body in two small sends; with Nagle's algorithm on,
    the body waits for the client's delayed ACK (~40 ms a request). Thousands of requests make
    that most of the run."""
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)


@pytest.fixture
def fuzzed_account(product_rows):
    """A reseller with credits, a child, one object of every kind the API addresses by id, and a
    key with every scope whose rate limit the run cannot reach."""
    account, owner = make_account(credits_amount="100000", is_reseller=True)
    make_account(parent=account)
    account.api_rate_limit = 10_000_000
    account.save(update_fields=["api_rate_limit"])
    world = build_world(account)
    ids = {name: world.arg(name) for name in WORLD_OBJECTS}
    ids.update(whatsapp_and_voice_objects(account))
    _, secret = apikeys.create_api_key(account=account, name="schemathesis", actor=owner)
    assert owner.memberships.get(account=account).role == Role.OWNER
    return ids, secret


def whatsapp_and_voice_objects(account):
    """A WhatsApp business number (its Cloud API on a closed loopback port) with an approved
    service template, a WhatsApp and a voice unsubscriber, and a number on the WhatsApp opt-out list."""
    AccountProduct.objects.get_or_create(account=account, product=Product.objects.get(code="WAP"))
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    for sub, price in (("WMC", "0.8"), ("WUC", "0.3"), ("WAA", "0.2"), ("WSC", "0.1")):
        save_price(data={"service": "WAP", "iso": "IN", "sale_price": price, "sub_service": sub})
    numbers.onboard(
        account=account,
        data={
            "number": BUSINESS_NUMBER,
            "display_name": "Acme",
            "api_base_url": "http://127.0.0.1:9",
            "app_secret": "s",
        },
    )
    template = message_templates.create(
        account=account,
        data={
            "type": "text",
            "name": "welcome",
            "category": "utility",
            "language": "en",
            "is_conversation": True,
            "number": BUSINESS_NUMBER,
            "payload": {"type": "text", "payload": {"text": "Hi {{name}}, welcome."}},
        },
        submit_to_provider=False,
    )
    consent.opt_out(account=account, channel=Channel.WHATSAPP, receiver=OPTED_OUT, scope=ScopeType.ALL)
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    return {
        "whatsapp_template": template.uuid,
        "whatsapp_media": media.upload(account=account, kind="image", file=png).uuid,
        "whatsapp_unsubscriber": consent.opt_out(
            account=account, channel=Channel.WHATSAPP, receiver="919876543298"
        ).uuid,
        "whatsapp_optout": OPTED_OUT,
        "voice_unsubscriber": consent.opt_out(account=account, channel=Channel.VOICE, receiver="919876543297").uuid,
    }


def placeholder_object(path, name):
    if path.startswith("/api/v2/contacts/{id}"):
        return CONTACT_PLACEHOLDERS[name]
    return next((obj for prefix, obj in RESOURCES if path.startswith(prefix)), None)


def collection_deletes(schema):
    """DELETEs of a whole collection ("clean all"): they run last, in a run of their own, so the
    other operations meet the account's objects."""
    return sorted(path for path, operations in schema["paths"].items() if "{" not in path and "delete" in operations)


def run_config(schema, ids):
    """A schemathesis.toml: for every id path, the id is the account's own object half of the time
    (DELETEs keep random ids, so the objects live through the run), and the collection DELETEs are
    left to the second run. Fails on an id path this table does not know, so a new one is fuzzed
    past its 404 too."""
    lines, unknown = [], []
    for n, path in enumerate(sorted(p for p in schema["paths"] if "{" in p)):
        bindings = []
        types = {
            p["name"]: p["schema"].get("type")
            for operation in schema["paths"][path].values()
            for p in operation.get("parameters", [])
            if p["in"] == "path"
        }
        for name in re.findall(r"\{(\w+)\}", path):
            obj = placeholder_object(path, name)
            if obj is None:
                unknown.append(f"{path} {{{name}}}")
                continue
            value = ids[obj]
            literal = json.dumps(value if types.get(name) == "integer" else str(value))
            lines += [f"[dictionaries.path{n}_{name}]", f"values = [{literal}]", ""]
            bindings.append(f'"path.{name}" = {{ dictionary = "path{n}_{name}", probability = {REAL_ID_PROBABILITY} }}')
        lines += [
            "[[operations]]",
            f"include-path = {json.dumps(path)}",
            'exclude-method = "DELETE"',
            f"parameters = {{ {', '.join(bindings)} }}",
            "",
        ]
    assert unknown == [], "id paths without an object in RESOURCES"
    return "\n".join(lines)


def schemathesis_run(live_server, secret, tmp_path, *filters, config=None, name="main"):
    """One `st run` against the live server; returns (exit code, report text)."""
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis is not installed (requirements.txt)"
    cmd = [
        st,
        *(["--config-file", str(config)] if config else []),
        "run",
        f"{live_server.url}/api/schema/?format=json",
        "--seed",
        SEED,
        "--max-examples",
        MAX_EXAMPLES,
        "--workers",
        "1",  # its coverage phase crashed with several workers on this machine (ENVIRONMENT.md)
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        CHECKS,
        *filters,
        "--phases",
        os.environ.get("ST_PHASES", "examples,coverage,fuzzing"),
        "--request-timeout",
        "30",
        # Django's test server now and then drops a kept-alive connection between two requests (it
        # answers leftover bytes of the one before with an HTML 400): a network-level failure is
        # tried again. An answer, 5xx included, is never retried.
        "--request-retries",
        "2",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        os.environ.get("ST_REPORT_DIR", str(tmp_path / name)),
    ]
    # In tmp_path, so its request cache (.schemathesis/) starts empty and stays out of the checkout.
    result = subprocess.run(  # noqa: S603
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    output = result.stdout + result.stderr
    if os.environ.get("ST_OUTPUT"):
        Path(f"{os.environ['ST_OUTPUT']}.{name}").write_text(output)
    assert "Tested: " in output, output[-30000:]  # the run really reached the operations
    return result.returncode, output


def test_the_api_answers_as_its_schema_says(client, live_server, no_nagle, loopback_only, fuzzed_account, tmp_path):
    ids, secret = fuzzed_account
    schema = client.get("/api/schema/?format=json").json()
    config = tmp_path / "schemathesis.toml"
    config.write_text(run_config(schema, ids))
    deletes = collection_deletes(schema)
    code, output = schemathesis_run(
        live_server,
        secret,
        tmp_path,
        "--include-path-regex",
        "^/api/v[23]/",
        *[arg for path in deletes for arg in ("--exclude-name", f"DELETE {path}")],
        config=config,
    )
    assert code == 0, output[-30000:]
    code, output = schemathesis_run(
        live_server,
        secret,
        tmp_path,
        *[arg for path in deletes for arg in ("--include-name", f"DELETE {path}")],
        name="collection-deletes",
    )
    assert code == 0, output[-30000:]
    assert f"Tested: {len(deletes)}" in output
