"""The delivery worker: routing, signing on the wire, retries on the catalogued schedule (fake
clock), logging, claims, flags, customized webhooks and Engage dlr.url callbacks. No network: the
worker's HTTP client is a MockTransport."""

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.notifications.models import Notification
from contacts.events import CONTACTS_SUBSCRIBER_SUBSCRIPTION
from messaging.channels.whatsapp.events import WHATSAPP_MESSAGE_IN, WHATSAPP_MESSAGE_STATUS
from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import retention, services, signing, verification, worker
from messaging.webhooks.models import Attempt, Delivery, DeliveryStatus, Webhook
from messaging.webhooks.routing import fan_out
from portal.core import events
from portal.core.events.models import Event
from tests.messaging.webhooks.conftest import Receiver

SMS = {"id": "b34e35ad-fe34-4a8b-977c-b21cd76cd7d6:1", "mobile": "918921269000", "status": "DELIVRD", "units": 2}


def hook(account, **data):
    return services.create_webhook(
        account=account, data={"name": "Hook", "uri": "https://hooks.example.com/in", **data}
    )


def subscribe(account, webhook, event="sms:message:status", identity="all"):
    return services.create_subscription(
        account=account, data={"event": event, "identity": identity, "webhook_id": str(webhook.uuid)}
    )


def test_webhook_id_on_the_event_wins_and_gets_the_flat_form(account, receiver, deliver):
    named = hook(account, name="Named", uri="https://named.example.com/dlr", secret="tok")
    subscribed = hook(account, name="Subscribed", uri="https://sub.example.com/dlr")
    subscribe(account, subscribed)
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS, webhook_id=str(named.uuid))

    counts = deliver(receiver)

    assert counts["delivered"] == 1 and len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.url.host == "named.example.com" and request.method == "POST"
    assert json.loads(request.content) == SMS  # flat for a per-request webhook_id
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["x-webhook-event"] == "sms:message:status"
    assert signing.verify(request.headers["signature"], key=str(named.uuid), content=request.content)


def test_subscriptions_get_the_wrapped_form_filtered_by_identity(account, other_account, deliver):
    everything = hook(account, name="All", uri="https://all.example.com/")
    only_one = hook(account, name="One", uri="https://one.example.com/")
    other_sender = hook(account, name="Other", uri="https://other.example.com/")
    theirs = hook(other_account, name="Theirs", uri="https://theirs.example.com/")
    subscribe(account, everything)
    subscribe(account, only_one, identity="sender:TXTSMS")
    subscribe(account, other_sender, identity="sender:OTHER")
    subscribe(other_account, theirs)
    subscribe(account, hook(account, name="Inactive", uri="https://off.example.com/", status=0))
    receiver = Receiver()

    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS, identity="sender:TXTSMS")
    deliver(receiver)

    hosts = sorted(r.url.host for r in receiver.requests)
    assert hosts == ["all.example.com", "one.example.com"]
    assert receiver.json() == {"event": "sms:message:status", "payload": SMS}
    assert Event.objects.get().processed_at is not None


def test_an_unknown_webhook_id_falls_back_to_subscriptions(account, receiver, deliver):
    subscribe(account, hook(account))
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS, webhook_id="flow:1")
    deliver(receiver)
    assert len(receiver.requests) == 1


def test_channel_events_are_wrapped_and_flat_ones_are_not(account, receiver, deliver):
    webhook = hook(account)
    subscribe(account, webhook, event="whatsapp:message:in")
    subscribe(account, webhook, event="contacts:subscriber:subscription")
    events.emit(account=account, type=WHATSAPP_MESSAGE_IN, payload={"id": "w1"})
    events.emit(account=account, type=CONTACTS_SUBSCRIBER_SUBSCRIPTION, payload={"id": 86})
    deliver(receiver)
    bodies = sorted((json.loads(r.content) for r in receiver.requests), key=str)
    assert {"event": "whatsapp:message:in", "payload": {"id": "w1"}} in bodies
    assert {"id": 86} in bodies


def test_a_rolled_back_transaction_sends_nothing(account, receiver, deliver):
    subscribe(account, hook(account))
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
        raise RuntimeError("the producer failed after emitting")
    counts = deliver(receiver)
    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert receiver.requests == [] and counts["attempts"] == 0


def test_emit_refuses_unknown_names(account):
    with pytest.raises(events.UnknownEvent):
        events.emit(account=account, type="sms:message:sttus", payload={})


def test_retries_follow_the_catalogued_schedule_then_fail(account, clock, deliver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    webhook = hook(account)
    subscribe(account, webhook)
    receiver = Receiver(status=500, body=b"boom")
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)

    deliver(receiver)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.attempts == 1
    assert (delivery.next_attempt_at - clock.now).total_seconds() == 10

    clock.advance(9)
    deliver(receiver)
    assert len(receiver.requests) == 1  # not due yet

    clock.advance(1)
    deliver(receiver)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and (delivery.next_attempt_at - clock.now).total_seconds() == 100

    clock.advance(100)
    deliver(receiver)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3 and len(receiver.requests) == 3

    clock.advance(100_000)
    deliver(receiver)
    assert len(receiver.requests) == 3  # exhausted: nothing more until a replay

    log = list(Attempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.number for a in log] == [1, 2, 3] and all(a.status_code == 500 and not a.success for a in log)
    assert log[0].response_body == "boom" and log[0].error == "HTTP 500 is not a success answer."
    assert log[0].request_headers["Authorization" if webhook.secret else "Signature"]


def test_the_schedule_grows_tenfold_and_is_capped(settings):
    from messaging.webhooks.schedule import retry_delay

    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.WEBHOOK_RETRY_CAP_SECONDS = 100_000
    assert [retry_delay(n) for n in range(1, 8)] == [10, 100, 1000, 10_000, 100_000, 100_000, 100_000]


def test_success_then_replay_of_a_failed_delivery(account, clock, deliver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(account, hook(account))
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    deliver(Receiver(status=503))
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED

    assert services.replay(account=account, deliveries=[delivery]) == 1
    clock.advance(1)
    ok = Receiver(status=200)
    deliver(ok)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2 and delivery.delivered_at
    assert len(ok.requests) == 1
    # A delivered one cannot be replayed.
    assert services.replay(account=account, deliveries=[delivery]) == 0


@pytest.mark.parametrize(
    ("event", "status", "success"),
    [
        ("sms:message:status", 200, True),
        ("sms:message:status", 202, True),
        ("sms:message:status", 204, False),  # classic DLR push: only 200/202
        ("whatsapp:message:status", 204, True),  # channel webhooks: any 2xx
        ("whatsapp:message:status", 302, False),  # redirects are not followed
    ],
)
def test_success_criterion_per_event(account, deliver, settings, event, status, success):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(account, hook(account), event=event)
    events.emit(account=account, type=event, payload={"id": "x"})
    receiver = Receiver(status=status, headers={"location": "http://169.254.169.254/"} if status == 302 else None)
    deliver(receiver)
    assert len(receiver.requests) == 1
    assert (Delivery.objects.get().status == DeliveryStatus.DELIVERED) is success
    if status == 302:
        assert "not followed" in Attempt.objects.get().error


def test_a_slow_receiver_times_out(account, deliver, settings):
    import asyncio

    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    settings.WEBHOOK_MAX_ATTEMPTS = 1

    async def slow(request):
        await asyncio.sleep(1)
        return httpx.Response(200)

    subscribe(account, hook(account))
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    deliver(slow)
    attempt = Attempt.objects.get()
    assert not attempt.success and attempt.error == "No answer within 0.2 s." and attempt.status_code is None


def test_response_bodies_are_capped(account, deliver, settings):
    settings.WEBHOOK_RESPONSE_LOG_BYTES = 100
    subscribe(account, hook(account))
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    deliver(Receiver(body=b"x" * 50_000))
    assert len(Attempt.objects.get().response_body) == 100


def test_claims_never_hand_the_same_delivery_to_two_workers(account, clock):
    import uuid

    subscribe(account, hook(account))
    for _ in range(5):
        events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    fan_out(now=clock())
    first = worker.claim(limit=3, busy=[], per_endpoint=10, now=clock(), token=uuid.uuid4())
    second = worker.claim(limit=10, busy=[], per_endpoint=10, now=clock(), token=uuid.uuid4())
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert worker.claim(limit=10, busy=[], per_endpoint=10, now=clock(), token=uuid.uuid4()) == []


def test_a_crashed_workers_claim_comes_back_after_its_lease(account, clock, deliver):
    import uuid

    subscribe(account, hook(account))
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    fan_out(now=clock())
    lost = uuid.uuid4()
    assert len(worker.claim(limit=10, busy=[], per_endpoint=10, now=clock(), token=lost)) == 1
    receiver = Receiver()
    deliver(receiver)
    assert receiver.requests == []  # still leased to the crashed worker
    clock.advance(worker.LEASE_SECONDS + 1)
    deliver(receiver)
    assert len(receiver.requests) == 1 and Delivery.objects.get().status == DeliveryStatus.DELIVERED
    # The crashed worker's late outcome is ignored: its claim no longer holds.
    late = worker.Outcome(Delivery.objects.get().pk, 1, clock(), worker.render.Request("POST", "u", {}, b""), 500)
    worker.record([late], token=lost, now=clock())
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED and Attempt.objects.count() == 1


def test_per_endpoint_limit_caps_claims(account, clock):
    import uuid

    subscribe(account, hook(account, uri="https://slow.example.com/"))
    subscribe(account, hook(account, uri="https://fast.example.com/"))
    for _ in range(10):
        events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    fan_out(now=clock())
    ids = worker.claim(limit=100, busy=[], per_endpoint=3, now=clock(), token=uuid.uuid4())
    endpoints = list(Delivery.objects.filter(pk__in=ids).values_list("endpoint", flat=True))
    assert sorted(endpoints) == ["https://fast.example.com:443"] * 3 + ["https://slow.example.com:443"] * 3
    busy = worker.claim(
        limit=100, busy=["https://slow.example.com:443"], per_endpoint=3, now=clock(), token=uuid.uuid4()
    )
    assert set(Delivery.objects.filter(pk__in=busy).values_list("endpoint", flat=True)) == {
        "https://fast.example.com:443"
    }


def test_a_webhook_that_keeps_failing_is_flagged_and_the_owner_emailed(account, owner, deliver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_FAILURE_THRESHOLD = 3
    webhook = hook(account)
    subscribe(account, webhook)
    for _ in range(4):
        events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.db.transaction.on_commit", lambda fn, **k: fn())
        deliver(Receiver(status=500))
    webhook.refresh_from_db()
    assert webhook.flagged_at is not None and webhook.consecutive_failures == 4
    note = Notification.objects.get(account=account)
    assert "keeps failing" in note.title
    assert len(mail.outbox) == 1 and owner.email in mail.outbox[0].to

    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    deliver(Receiver(status=200))
    webhook.refresh_from_db()
    assert webhook.flagged_at is None and webhook.consecutive_failures == 0 and webhook.last_success_at


def test_unverified_webhooks_wait_until_they_answer_the_challenge(account, deliver):
    webhook = hook(account, token="9012XX", secret="sek")
    subscribe(account, webhook)
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    receiver = Receiver()
    deliver(receiver)
    assert receiver.requests == [] and Delivery.objects.get().status == DeliveryStatus.PENDING

    def challenge(request):
        body = json.loads(request.content)
        assert parse_qs(urlsplit(str(request.url)).query) == {"token": ["9012XX"]}
        assert body["validation_key"] == "9012XX" and request.headers["authorization"] == "Bearer sek"
        return httpx.Response(200, json={"challenge": body["challenge"]})

    assert verification.verify(webhook=webhook, client=httpx.Client(transport=httpx.MockTransport(challenge)))
    deliver(receiver)
    assert len(receiver.requests) == 1


def test_a_wrong_challenge_answer_leaves_it_unverified(account):
    webhook = hook(account, token="k")
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"challenge": "no"})))
    assert not verification.verify(webhook=webhook, client=client)
    webhook.refresh_from_db()
    assert webhook.verified_at is None and "challenge" in webhook.verification_error


def test_customized_get_webhook_substitutes_variables(account, receiver, deliver):
    webhook = hook(
        account,
        kind="custom",
        method="GET",
        uri="https://crm.example.com/ack/receive?id={{id}}&mobile={{mobile}}&status={{ status }}",
        params=[["units", "{{units}}"], ["ref", "@{{custom}}"]],
        headers=[["X-Api-Key", "abc"], ["Host", "evil.internal"]],
    )
    subscribe(account, webhook)
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload={**SMS, "custom": "a&b"})
    deliver(receiver)
    request = receiver.requests[0]
    assert request.method == "GET" and request.content == b""
    query = parse_qs(request.url.query.decode())
    assert query == {
        "id": [SMS["id"]],
        "mobile": ["918921269000"],
        "status": ["DELIVRD"],
        "units": ["2"],
        "ref": ["a&b"],
    }
    assert request.headers["x-api-key"] == "abc" and request.headers["host"] == "crm.example.com"
    target = request.url.raw_path
    assert signing.verify(request.headers["signature"], key=str(webhook.uuid), content=target)


def test_customized_post_form_and_channel_variables(account, receiver, deliver):
    webhook = hook(
        account,
        kind="custom",
        method="POST",
        body_format="form",
        uri="https://crm.example.com/wa",
        body=[["msg", "{{payload.id}}"], ["state", "{{payload.status}}"]],
    )
    subscribe(account, webhook, event="whatsapp:message:status")
    events.emit(account=account, type=WHATSAPP_MESSAGE_STATUS, payload={"id": "w-1", "status": "read"})
    deliver(receiver)
    request = receiver.requests[0]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="msg"\r\n\r\nw-1' in request.content and b'name="state"\r\n\r\nread' in request.content


def test_engage_dlr_url_receives_the_final_status(account, receiver, deliver):
    """A push message's receipt goes to its dlr.url (mask 1: failures too), signed with the
    submission id; mask 0 reports successes only."""
    from messaging.channels.sms.adapter import SmsAdapter
    from messaging.pipeline.receipts import Finalised

    row = Finalised(
        account.pk,
        "b34e35ad-fe34-4a8b-977c-b21cd76cd7d6",
        1,
        "447400123456",
        1,
        1,
        "tx-9",
        "GB",
        timezone.now(),
        None,
        "",
        "https://client.example/dlr",
        1,
        "Push",
    )
    sms = SmsAdapter()
    events.emit_many(sms.status_events([row], "UNDELIV", row.submitted_at))
    events.emit_many(sms.status_events([row._replace(dlr_mask=0)], "UNDELIV", row.submitted_at))
    events.emit_many(sms.status_events([row._replace(dlr_mask=0)], "DELIVRD", row.submitted_at))
    deliver(receiver)
    assert len(receiver.requests) == 2
    body = receiver.json(0)
    assert body["id"] == "b34e35ad-fe34-4a8b-977c-b21cd76cd7d6:1" and body["mobile"] == "447400123456"
    assert "dlr_url" not in body and "webhook_id" not in body
    assert signing.verify(
        receiver.requests[0].headers["signature"],
        key="b34e35ad-fe34-4a8b-977c-b21cd76cd7d6",
        content=receiver.requests[0].content,
    )
    assert Delivery.objects.filter(webhook__isnull=True).count() == 2


def test_inactive_webhooks_receive_nothing(account, receiver, deliver):
    webhook = hook(account)
    subscribe(account, webhook)
    services.delete_webhook(webhook=webhook)
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS, webhook_id=str(webhook.uuid))
    deliver(receiver)
    assert receiver.requests == [] and not Delivery.objects.exists()
    assert Webhook.objects.get().is_active is False


def test_a_hanging_endpoint_holds_only_its_own_slots(account, clock, settings):
    """Per-endpoint limits: with 2 slots per endpoint, a receiver that never answers in time has at
    most 2 requests open, and the healthy endpoint's deliveries all complete in the same run."""
    import asyncio

    settings.WEBHOOK_ENDPOINT_CONCURRENCY = 2
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    slow = hook(account, name="slow", uri="https://slow.example.com/")
    fast = hook(account, name="fast", uri="https://fast.example.com/")
    for webhook, n in ((slow, 6), (fast, 30)):
        for _ in range(n):
            events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS, webhook_id=str(webhook.uuid))
    open_now, most = {"slow": 0}, {"slow": 0}

    async def handler(request):
        if request.url.host == "slow.example.com":
            open_now["slow"] += 1
            most["slow"] = max(most["slow"], open_now["slow"])
            try:
                await asyncio.sleep(5)
            finally:
                open_now["slow"] -= 1
        return httpx.Response(200)

    worker.run(
        seconds=10, clock=clock, client_factory=lambda t: httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    assert most["slow"] == 2
    assert Delivery.objects.filter(webhook=fast, status=DeliveryStatus.DELIVERED).count() == 30
    assert Delivery.objects.filter(webhook=slow, status=DeliveryStatus.FAILED).count() == 6


def test_beat_runs_the_delivery_task():
    from django.conf import settings

    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["deliver-webhooks"]
    assert entry["task"] == "messaging.webhooks.tasks.deliver_webhooks" and entry["schedule"] <= 5
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_old_finished_deliveries_are_purged_open_ones_kept(account, deliver, clock, settings):
    from datetime import timedelta

    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    subscribe(account, hook(account))
    for _ in range(2):
        events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    answers = iter([200, 500])
    deliver(Receiver(status=lambda request: next(answers)))
    Delivery.objects.update(created_at=timezone.now() - timedelta(days=31))
    open_ids = set(Delivery.objects.filter(status="retrying").values_list("pk", flat=True))
    assert len(open_ids) == 1
    assert retention.purge_delivery_log(batch=1) == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == open_ids
    assert Attempt.objects.filter(delivery_id__in=open_ids).count() == Attempt.objects.count()


def test_a_continuous_worker_stops_when_asked(account, clock):
    import time

    start = time.monotonic()
    counts = worker.run(seconds=30, stop_when_idle=False, clock=clock, should_stop=lambda: True)
    assert counts["attempts"] == 0 and time.monotonic() - start < 5


def test_the_worker_command_runs_until_signalled(monkeypatch):
    from django.core.management import call_command

    from messaging.webhooks.management.commands import webhook_worker

    calls = []

    def fake_run(**kwargs):
        calls.append(kwargs)
        import os
        import signal

        os.kill(os.getpid(), signal.SIGTERM)  # the handler records it; the loop ends
        return {"attempts": 2, "delivered": 2}

    monkeypatch.setattr(webhook_worker.worker, "run", fake_run)
    call_command("webhook_worker", "--seconds", "5")
    assert len(calls) == 1 and calls[0]["stop_when_idle"] is False
