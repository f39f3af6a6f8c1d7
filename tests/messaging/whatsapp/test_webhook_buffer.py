"""The webhook intake buffer: a POST is answered once its body is stored; batches apply what was
stored exactly as one-by-one application would (forward-only, arrival order), emit each move's
event once, and a failed batch stays in the buffer."""

import io
import itertools
import json
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.channels.whatsapp import cloud_api, intake, webhook_buffer, webhook_wsgi
from messaging.channels.whatsapp.models import InboundMessage, StatusRecord, WebhookIntake
from messaging.pipeline import channels
from messaging.pipeline.models import Message
from messaging.pipeline.status import Progress, applies
from portal.core.events.models import Event
from tests.messaging.whatsapp.test_status_order import _message, _webhook

pytestmark = pytest.mark.django_db
STATUS_EVENT = "whatsapp:message:status"
_TAGS = itertools.count()  # hypothesis' examples share one database


def _post(client, number, body):
    return client.post(reverse("whatsapp-cloud-webhook"), body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body))  # fmt: skip


def _sequential(stream):
    """What applying the statuses one by one in arrival order does: {wamid: [moves]}."""
    adapter = channels.get("whatsapp")
    progress, moves = {}, {}
    for wamid, status in stream:
        level = adapter.progress_of(status)
        if applies(progress.get(wamid, Progress.DISPATCHED), level):
            progress[wamid] = level
            moves.setdefault(wamid, []).append(status)
    return moves


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.lists(st.sampled_from(["sent", "delivered", "read", "failed"]), min_size=1, max_size=6),
        min_size=1,
        max_size=4,
    ),
    rnd=st.randoms(use_true_random=False),
)
def test_a_batch_applies_shuffled_duplicates_as_one_by_one_would(business_number, plan, rnd):
    tag = next(_TAGS)
    stream = [(f"wamid.B{tag}.{m}", status) for m, statuses in enumerate(plan) for status in statuses]
    rnd.shuffle(stream)
    messages = {f"wamid.B{tag}.{m}": _message(business_number.account, business_number, f"wamid.B{tag}.{m}")
                for m in range(len(plan))}  # fmt: skip
    events_before = Event.objects.filter(type=STATUS_EVENT).count()
    client = Client()
    with mock.patch.object(webhook_buffer, "_nudge"):
        for i, (wamid, status) in enumerate(stream):
            body = json.dumps(_webhook(business_number, wamid, status, 1_700_000_000 + i)).encode()
            assert _post(client, business_number, body).status_code == 200
    assert WebhookIntake.objects.count() == len(stream)  # stored, nothing applied yet
    assert webhook_buffer.drain() == len(stream)
    assert not WebhookIntake.objects.exists()
    moves = _sequential(stream)
    for wamid, message in messages.items():
        message.refresh_from_db()
        assert message.status == (moves[wamid][-1] if wamid in moves else "dispatched")
        events = Event.objects.filter(type=STATUS_EVENT, payload__id=f"{message.batch.uuid}:1")
        assert [e.payload["status"] for e in events.order_by("id")] == moves.get(wamid, [])
    assert Event.objects.filter(type=STATUS_EVENT).count() - events_before == sum(map(len, moves.values()))
    assert StatusRecord.objects.filter(wamid__startswith=f"wamid.B{tag}.").count() == len(stream)
    assert webhook_buffer.drain() == 0  # applied once


def test_each_status_keeps_its_own_provider_time(business_number):
    message = _message(business_number.account, business_number, "wamid.T1")
    with mock.patch.object(webhook_buffer, "_nudge"):
        for status, at in (("sent", 1_700_000_000), ("delivered", 1_700_000_100)):
            _post(Client(), business_number, json.dumps(_webhook(business_number, "wamid.T1", status, at)).encode())
    webhook_buffer.drain()
    message.refresh_from_db()
    assert message.delivered_at == datetime.fromtimestamp(1_700_000_100, tz=UTC)
    delivered = Event.objects.get(type=STATUS_EVENT, payload__status="delivered")
    assert delivered.payload["delivered_at"] == "2023-11-14T22:15:00Z"


def test_a_failed_batch_stays_buffered_and_applies_later(business_number):
    message = _message(business_number.account, business_number, "wamid.C1")
    body = json.dumps(_webhook(business_number, "wamid.C1", "delivered", 1_700_000_000)).encode()
    with mock.patch.object(webhook_buffer, "_nudge"):
        assert _post(Client(), business_number, body).status_code == 200
    with mock.patch.object(intake, "apply_statuses", side_effect=RuntimeError("crash")), pytest.raises(RuntimeError):
        webhook_buffer.apply_pending()
    assert WebhookIntake.objects.count() == 1
    message.refresh_from_db()
    assert message.progress == Progress.DISPATCHED and not StatusRecord.objects.exists()
    assert webhook_buffer.drain() == 1
    message.refresh_from_db()
    assert message.status == "delivered" and Event.objects.filter(type=STATUS_EVENT).count() == 1


def test_inbound_messages_go_through_the_buffer_too(business_number):
    from tests.messaging.whatsapp.test_cloud_api import _inbound_payload

    body = json.dumps(_inbound_payload(business_number)).encode()
    with mock.patch.object(webhook_buffer, "_nudge"):
        _post(Client(), business_number, body)
        _post(Client(), business_number, body)  # the provider's retry
    assert not InboundMessage.objects.exists()
    webhook_buffer.drain()
    assert InboundMessage.objects.count() == 1 and Event.objects.filter(type="whatsapp:message:in").count() == 1


def _call(body, signature, length=None):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": webhook_wsgi.PATH,
        "CONTENT_LENGTH": str(len(body) if length is None else length),
        "wsgi.input": io.BytesIO(body),
    }
    if signature is not None:
        environ["HTTP_X_HUB_SIGNATURE_256"] = signature
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    answer = json.loads(b"".join(webhook_wsgi.application(environ, start_response)))
    return int(seen["status"].split()[0]), answer


def test_the_bare_wsgi_path_checks_signatures_and_stores_only_good_bodies(business_number):
    message = _message(business_number.account, business_number, "wamid.W1")
    body = json.dumps(_webhook(business_number, "wamid.W1", "read", 1_700_000_000)).encode()
    with mock.patch.object(webhook_buffer, "_nudge"):
        assert _call(body, None)[0] == 401
        assert _call(body, cloud_api.sign("another-secret", body))[0] == 401
        assert _call(b"not json", cloud_api.sign("s3cret", b"not json")) == (400, {"error": "The body is not JSON."})
        assert _call(b"{}", "x", length=10**7)[0] == 413
        assert not WebhookIntake.objects.exists()
        assert _call(body, cloud_api.sign("s3cret", body)) == (200, {"received": True})
    assert WebhookIntake.objects.count() == 1
    webhook_buffer.drain()
    message.refresh_from_db()
    assert message.status == "read"
    assert webhook_wsgi.wants({"REQUEST_METHOD": "POST", "PATH_INFO": webhook_wsgi.PATH})
    assert not webhook_wsgi.wants({"REQUEST_METHOD": "GET", "PATH_INFO": webhook_wsgi.PATH})


def test_one_applier_at_a_time(business_number):
    with mock.patch.object(webhook_buffer, "_only_applier", return_value=False):
        assert webhook_buffer.apply_pending() is None
    assert Message.objects.count() == 0
