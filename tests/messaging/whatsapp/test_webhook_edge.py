"""The Cloud API webhook on the edge server (webhook_edge.py), over real HTTP: signatures checked
on the raw body (good, bad, missing, a secret changed since it was cached), only good bodies
stored, concurrent bodies in one INSERT, each 200 only after its row is committed (a server
killed right after answering has lost nothing), duplicates stored and applied once, the
handshake, the body cap, pipelining, and a database that fails is a 503."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings

from messaging.channels.whatsapp import cloud_api, intake, webhook_buffer, webhook_wsgi
from messaging.channels.whatsapp.models import BusinessNumber, WebhookIntake
from messaging.channels.whatsapp.webhook_edge import WebhookRoute
from portal.core.edge.server import serve_in_thread
from portal.core.events.models import Event
from tests.edge_http import Connection, one, request
from tests.messaging.whatsapp.test_status_order import _message, _webhook

pytestmark = pytest.mark.django_db(transaction=True)
PATH = webhook_wsgi.PATH
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def nudges():
    with mock.patch.object(webhook_buffer, "send_nudge") as sent:
        yield sent


@pytest.fixture
def edge(product_rows, business_number, nudges):
    route = WebhookRoute()
    server = serve_in_thread({PATH: route})
    server.route = route
    yield server
    server.stop()


def _body(number, wamid="wamid.E1", status="read", at=1_700_000_000):
    return json.dumps(_webhook(number, wamid, status, at)).encode()


def _post(body, signature):
    headers = [("Content-Type", "application/json")]
    if signature is not None:
        headers.append(("X-Hub-Signature-256", signature))
    return request(PATH, method="POST", body=body, headers=headers)


def test_only_well_signed_bodies_are_stored_and_applied(edge, business_number, nudges):
    message = _message(business_number.account, business_number, "wamid.E1")
    body = _body(business_number)
    assert one(edge.port, _post(body, None)).status == 401
    answer = one(edge.port, _post(body, cloud_api.sign("another-secret", body)))
    assert (answer.status, json.loads(answer.body)) == (401, {"error": "Invalid X-Hub-Signature-256."})
    assert one(edge.port, _post(body, cloud_api.sign("s3cret", body) + "0")).status == 401
    assert one(edge.port, _post(b"not json", cloud_api.sign("s3cret", b"not json"))).status == 400
    assert one(edge.port, _post(b"[1]", cloud_api.sign("s3cret", b"[1]"))).status == 400
    odd = b'{"entry": 5}'  # the wrong shape is refused like a bad signature, not a 500
    assert one(edge.port, _post(odd, cloud_api.sign("s3cret", odd))).status == 401
    assert not WebhookIntake.objects.exists() and not nudges.called
    answer = one(edge.port, _post(body, cloud_api.sign("s3cret", body)))
    assert (answer.status, answer.headers["content-type"], json.loads(answer.body)) == (
        200,
        "application/json",
        {"received": True},
    )
    assert [bytes(b) for b in WebhookIntake.objects.values_list("body", flat=True)] == [body]
    assert _until(lambda: nudges.called)
    webhook_buffer.drain()
    message.refresh_from_db()
    assert message.status == "read"


def test_a_secret_changed_since_it_was_cached_is_read_again(edge, business_number):
    body = _body(business_number)
    assert one(edge.port, _post(body, cloud_api.sign("s3cret", body))).status == 200  # cached now
    BusinessNumber.objects.filter(pk=business_number.pk).update(app_secret="rotated")
    time.sleep(1.1)  # verify() re-reads the secrets at most once a second
    assert one(edge.port, _post(body, cloud_api.sign("rotated", body))).status == 200
    assert one(edge.port, _post(body, cloud_api.sign("s3cret", body))).status == 401
    assert WebhookIntake.objects.count() == 2


def test_duplicate_bodies_are_both_stored_and_applied_once(edge, business_number):
    message = _message(business_number.account, business_number, "wamid.D1")
    body = _body(business_number, "wamid.D1", "delivered")
    signed = _post(body, cloud_api.sign("s3cret", body))
    conn = Connection(edge.port)
    conn.send(signed + signed)  # the provider's retry, pipelined on one connection
    assert [a.status for a in conn.read(2)] == [200, 200]
    conn.close()
    assert WebhookIntake.objects.count() == 2
    webhook_buffer.drain()
    message.refresh_from_db()
    assert message.status == "delivered"
    assert Event.objects.filter(type="whatsapp:message:status").count() == 1


def test_concurrent_bodies_share_one_insert_and_are_answered_after_it(edge, business_number):
    primer = _body(business_number, "wamid.C-primer")  # the numbers cached: every check below stays on the loop
    assert one(edge.port, _post(primer, cloud_api.sign("s3cret", primer))).status == 200
    writes, release = [], threading.Event()
    real_write = edge.route.writer.write

    def write(bodies):
        writes.append(len(bodies))
        if len(writes) == 1:  # hold the first INSERT until the other requests wait behind it
            release.wait(10)
        real_write(bodies)

    edge.route.writer.write = write
    bodies = [_body(business_number, f"wamid.C{n}") for n in range(12)]
    conns = [Connection(edge.port) for _ in bodies]
    for conn, body in zip(conns, bodies, strict=True):
        conn.send(_post(body, cloud_api.sign("s3cret", body)))
    assert _until(lambda: writes and len(edge.route.writer.waiting) == 12 - writes[0])
    assert not any(conn.read(1, timeout=0.1) for conn in conns)  # nobody answered before the commit
    release.set()
    assert all(conn.read(1)[0].status == 200 for conn in conns)
    assert len(writes) <= 2 and sum(writes) == 12  # at most two INSERTs for twelve bodies
    assert WebhookIntake.objects.count() == 13
    for conn in conns:
        conn.close()


def test_a_failing_or_hung_database_is_a_503_and_the_provider_retries(edge, business_number):
    body = _body(business_number)
    signed = _post(body, cloud_api.sign("s3cret", body))

    def failing(bodies):
        raise webhook_buffer.Refused(503, webhook_buffer.NOT_STORED)

    real_write, edge.route.writer.write = edge.route.writer.write, failing
    answer = one(edge.port, signed)
    assert (answer.status, json.loads(answer.body)) == (503, {"error": "The webhook could not be stored; retry."})
    hung = threading.Event()
    edge.route.writer.write, edge.route.writer.timeout = (lambda bodies: hung.wait(10)), 0.3
    assert one(edge.port, signed).status == 503  # the write outlived the timeout
    assert one(edge.port, signed).status == 503  # and refuses at once while it has not returned
    hung.set()
    edge.route.writer.write = real_write
    assert _until(lambda: one(edge.port, signed).status == 200)
    assert WebhookIntake.objects.count() == 1


def test_a_body_over_the_cap_is_refused_unread(edge):
    conn = Connection(edge.port)
    conn.send(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {webhook_wsgi.MAX_BODY + 1}\r\n\r\n".encode())
    assert conn.read(1)[0].status == 413 and conn.wait_closed(2)
    assert not WebhookIntake.objects.exists()


def test_the_verification_handshake(edge, business_number):
    token = business_number.verify_token
    ok = one(edge.port, request(f"{PATH}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"))
    assert (ok.status, ok.body) == (200, b"1158201444")
    wrong = one(edge.port, request(f"{PATH}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"))
    assert (wrong.status, wrong.body) == (403, b"Verification token mismatch.")
    assert one(edge.port, request(f"{PATH}?hub.verify_token={token}&hub.challenge=1")).status == 403
    assert one(edge.port, request(PATH, method="PUT")).status == 405


def test_the_cached_check_needs_no_query_and_defers_what_it_cannot_decide(product_rows, business_number):
    body = _body(business_number)
    payload = json.loads(body)
    assert intake.verify_cached(payload, body, cloud_api.sign("s3cret", body)) is None  # nothing cached yet
    intake.verify(payload, body, cloud_api.sign("s3cret", body))
    assert intake.verify_cached(payload, body, cloud_api.sign("s3cret", body)) == [business_number]
    assert intake.verify_cached(payload, body, cloud_api.sign("wrong", body)) is None
    assert intake.verify_cached({}, b"{}", "sha256=x") is None


def _until(condition, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_killed_right_after_answering_has_lost_nothing(product_rows, business_number, tmp_path):
    """`manage.py edge` as its own process, SIGKILLed the moment each 200 arrives: every answered
    body is in the buffer, because the 200 is written only after the row's commit."""
    db = django_settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the edge process needs a database another process can open")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": "edge-test",
        "CELERY_BROKER_URL": "memory://",  # the nudge goes nowhere: the rows stay to be counted
        "DATA_DIR": str(tmp_path),
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    answered = 0
    for round_ in range(2):
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, str(ROOT / "manage.py"), "edge", "--port", str(port), "--path", PATH],
            cwd=ROOT,
            env=env,
        )
        try:
            assert _until(lambda: _listening(port), timeout=60), "the edge process did not start"
            conn = Connection(port)
            for n in range(5):
                body = _body(business_number, f"wamid.K{round_}.{n}")
                conn.send(_post(body, cloud_api.sign("s3cret", body)))
                assert conn.read(1)[0].status == 200
                answered += 1
            process.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was committed
            conn.close()
        finally:
            process.kill()
            process.wait(10)
        assert WebhookIntake.objects.count() == answered


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False
