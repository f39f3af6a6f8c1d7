"""Two workers at once (separate threads and database connections) deliver every event exactly once."""

import threading

import httpx
import pytest
from django.db import connection

from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import services, worker
from messaging.webhooks.models import Attempt, Delivery, DeliveryStatus
from portal.core import events
from tests.factories import make_account

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_never_deliver_the_same_attempt_twice():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED claims need PostgreSQL")
    account, _ = make_account()
    webhook = services.create_webhook(account=account, data={"name": "h", "uri": "https://hooks.example.com/"})
    services.create_subscription(
        account=account, data={"event": "sms:message:status", "identity": "all", "webhook_id": str(webhook.uuid)}
    )
    events.emit_many(
        events.pending(account_id=account.pk, type=SMS_MESSAGE_STATUS, payload={"id": f"g:{i}"}) for i in range(300)
    )
    seen, lock = [], threading.Lock()

    def handler(request):
        with lock:
            seen.append(request.headers["x-webhook-delivery"])
        return httpx.Response(200)

    def run():
        try:
            worker.run(seconds=20, client_factory=lambda t: httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(seen) == 300 and len(set(seen)) == 300
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 300
    assert Attempt.objects.count() == 300
