"""End to end from a send: the receipt's `sms:message:status` reaches the webhook named on the
request and, for an Engage push, its `dlr.url`, through the outbox and the worker."""

import httpx

from messaging.webhooks import services, signing, worker
from messaging.webhooks.models import Delivery
from portal.core.events.models import Event
from tests.messaging.webhooks.conftest import Receiver


def test_a_push_receipt_goes_to_its_dlr_url(
    api_client, account, sending_setup, clock, django_capture_on_commit_callbacks
):
    body = {
        "type": "transactional",
        "from": "ACMEIN",
        "transactionID": "tx-77",
        "to": "919876543210",
        "msg": "Your OTP is 4821. Do not share it.",
        "tiny": "0",
        "dlr": {"mask": 1, "url": "https://client.example/dlr"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post("/v1/messaging/sms", body, format="json")
    group = res.json()["id"]
    event = Event.objects.get(account=account, type="sms:message:status")
    assert event.callback_url == "https://client.example/dlr" and event.identity == "sender:ACMEIN"
    assert "dlr_url" not in event.payload

    receiver = Receiver()
    worker.run(
        seconds=5, clock=clock, client_factory=lambda t: httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    )
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert str(request.url) == "https://client.example/dlr"
    sent = receiver.json()
    assert sent["id"] == f"{group}:1" and sent["status"] == "DELIVRD" and sent["custom"] == "tx-77"
    assert signing.verify(request.headers["signature"], key=group, content=request.content)


def test_a_send_with_webhook_id_reaches_that_webhook(
    api_client, account, sending_setup, clock, django_capture_on_commit_callbacks
):
    webhook = services.create_webhook(account=account, data={"name": "DLR", "uri": "https://hooks.example.com/dlr"})
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(
            "/api/v2/sms/send",
            {
                "sender": "AcmeUK",
                "service": "G",
                "message": "Hello",
                "to": "447400123456",
                "webhook_id": str(webhook.uuid),
            },
            format="json",
        )
    assert res.status_code == 200, res.content
    receiver = Receiver()
    worker.run(
        seconds=5, clock=clock, client_factory=lambda t: httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    )
    assert len(receiver.requests) == 1 and receiver.requests[0].url.host == "hooks.example.com"
    assert receiver.json()["mobile"] == "447400123456"
    assert Delivery.objects.get().webhook == webhook
