"""Two real Celery worker processes on the `webhooks` queue, on the test broker (TEST_BROKER_URL,
tests/workers.py), deliver every event exactly once over HTTP to a local receiver. The delivery
task is sent by name without a queue, so this also checks that it is routed to `webhooks`."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import services
from messaging.webhooks.models import Attempt, Delivery, DeliveryStatus
from portal.core import events
from tests.factories import make_account
from tests.workers import broker_env, manage_shell, start_worker, stop_workers, wait_for

EVENTS = 300


class _Receiver(BaseHTTPRequestHandler):
    seen, lock = [], threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            self.seen.append(self.headers["X-Webhook-Delivery"])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_deliver_every_event_once(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the PostgreSQL test database")
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    account, _ = make_account()
    webhook = services.create_webhook(
        account=account, data={"name": "h", "uri": f"http://127.0.0.1:{server.server_port}/hook"}
    )
    services.create_subscription(
        account=account, data={"event": "sms:message:status", "identity": "all", "webhook_id": str(webhook.uuid)}
    )
    events.emit_many(
        events.pending(account_id=account.pk, type=SMS_MESSAGE_STATUS, payload={"id": f"g:{i}"}) for i in range(EVENTS)
    )
    # Small claims, so both processes take part.
    extra = {"WEBHOOKS_ALLOW_LOOPBACK": "true", "WEBHOOK_BACKLOG": "40", "WEBHOOK_CONCURRENCY": "20"}
    workers = []
    try:
        with broker_env(tmp_path, **extra) as env:
            workers = [start_worker(env, f"hooks{i}", queues="webhooks") for i in range(2)]
            manage_shell(
                env,
                "from portal.celery import app\n"
                "for _ in range(2):\n"
                "    app.send_task('messaging.webhooks.tasks.deliver_webhooks', kwargs={'seconds': 30})\n",
            )
            delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
            wait_for(lambda: delivered.count() == EVENTS, 90, f"{EVENTS} deliveries", tmp_path)
            stop_workers(*workers)
    finally:
        stop_workers(*workers)
        server.shutdown()
        server.server_close()
    # Every event arrived; a request the receiver saw twice is a recorded retry (an answer that came
    # too late on a loaded machine), never one attempt sent by both processes.
    assert len(set(_Receiver.seen)) == EVENTS
    assert len(_Receiver.seen) == Attempt.objects.count()
