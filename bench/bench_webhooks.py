"""Signed webhook deliveries per second on PostgreSQL, to local receivers this script starts itself
(127.0.0.1 only, bounded, they stop by themselves).

1. healthy: N `sms:message:status` events in the outbox, one subscribed webhook that answers at
   once; time from the first worker loop to the last delivery recorded (fan-out, claim, sign,
   POST, attempt log, status update: everything).
2. with a hanging receiver: the same healthy traffic plus H deliveries to a receiver that never
   answers; the healthy deliveries must not slow down (per-endpoint concurrency limits).

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_webhooks.py [--events 20000] [--hanging 200]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _setup import scratch_database, setup_django

HERE = Path(__file__).resolve().parent


def start_receiver(mode, limit, seconds, key):
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_receiver.py"), mode, str(limit), str(seconds), key],
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}/dlr"


def stop_receiver(process):
    try:
        out, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.terminate()
        out, _ = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def emit(account, webhook, n):
    from django.db import transaction

    from messaging.events import SMS_MESSAGE_STATUS
    from portal.core import events

    payload = {
        "id": "b34e35ad-fe34-4a8b-977c-b21cd76cd7d6:1",
        "mobile": "918921269000",
        "status": "DELIVRD",
        "credits": "1.0000",
        "units": 1,
        "deliv_time": "2021-04-09 16:27:51",
    }
    with transaction.atomic():
        events.emit_many(
            events.pending(
                account_id=account.pk, type=SMS_MESSAGE_STATUS, payload=payload, webhook_id=str(webhook.uuid)
            )
            for _ in range(n)
        )


def healthy_run(account, n):
    from messaging.webhooks import services, worker
    from messaging.webhooks.models import Delivery

    webhook = services.create_webhook(account=account, data={"name": "fast", "uri": "http://placeholder.invalid/"})
    process, url = start_receiver("fast", n, 300, str(webhook.uuid))
    webhook.uri = url
    webhook.save()
    emit(account, webhook, n)
    start = time.perf_counter()
    counts = worker.run(seconds=600)
    elapsed = time.perf_counter() - start
    stats = stop_receiver(process)
    delivered = Delivery.objects.filter(webhook=webhook, status="delivered").count()
    return {
        "n": n,
        "elapsed": elapsed,
        "delivered": delivered,
        "rate": delivered / elapsed,
        "receiver": stats,
        "attempts": counts["attempts"],
    }


def mixed_run(account, n, hanging):
    from django.db.models import Max

    from messaging.webhooks import services, worker
    from messaging.webhooks.models import Delivery

    fast = services.create_webhook(account=account, data={"name": "fast2", "uri": "http://placeholder.invalid/"})
    slow = services.create_webhook(account=account, data={"name": "hangs", "uri": "http://placeholder.invalid/"})
    fast_process, fast_url = start_receiver("fast", n, 300, str(fast.uuid))
    slow_process, slow_url = start_receiver("hang", hanging, 120, str(slow.uuid))
    Delivery.objects.all().delete()
    for webhook, url in ((fast, fast_url), (slow, slow_url)):
        webhook.uri = url
        webhook.save()
    # The hanging deliveries go first: they are the oldest rows in the queue.
    emit(account, slow, hanging)
    emit(account, fast, n)
    start_wall = time.time()
    start = time.perf_counter()
    worker.run(seconds=600)
    elapsed = time.perf_counter() - start
    fast_stats, slow_stats = stop_receiver(fast_process), stop_receiver(slow_process)
    last_fast = Delivery.objects.filter(webhook=fast, status="delivered").aggregate(m=Max("delivered_at"))["m"]
    fast_elapsed = last_fast.timestamp() - start_wall
    delivered = Delivery.objects.filter(webhook=fast, status="delivered").count()
    timed_out = Delivery.objects.filter(webhook=slow).exclude(status="delivered").count()
    return {
        "n": n,
        "fast_elapsed": fast_elapsed,
        "fast_delivered": delivered,
        "fast_rate": delivered / fast_elapsed,
        "hanging": hanging,
        "hanging_not_delivered": timed_out,
        "total_elapsed": elapsed,
        "fast_receiver": fast_stats,
        "slow_receiver": slow_stats,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--hanging", type=int, default=200)
    args = parser.parse_args()
    os.environ["WEBHOOKS_ALLOW_LOOPBACK"] = "true"  # the receivers are on 127.0.0.1
    os.environ.setdefault("WEBHOOK_MAX_ATTEMPTS", "1")  # a hung receiver is not retried in this run
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings

        from accounts.services.customers import create_customer

        account, _ = create_customer(email="hooks@example.com", password="x")
        print(
            f"concurrency {settings.WEBHOOK_CONCURRENCY}, per endpoint {settings.WEBHOOK_ENDPOINT_CONCURRENCY}, "
            f"timeout {settings.WEBHOOK_TIMEOUT_SECONDS:g} s"
        )
        warm = healthy_run(account, 500)
        print(f"warm-up: {warm['delivered']} in {warm['elapsed']:.2f} s")
        r = healthy_run(account, args.events)
        print(
            f"healthy: {r['delivered']}/{r['n']} signed deliveries in {r['elapsed']:.2f} s = {r['rate']:,.0f}/s "
            f"(receiver saw {r['receiver'].get('requests')}, signatures checked "
            f"{r['receiver'].get('valid')}/{r['receiver'].get('checked')} valid)"
        )
        m = mixed_run(account, args.events, args.hanging)
        print(
            f"with a hanging receiver: {m['fast_delivered']}/{m['n']} healthy deliveries done "
            f"{m['fast_elapsed']:.2f} s after start = {m['fast_rate']:,.0f}/s; "
            f"{m['hanging_not_delivered']}/{m['hanging']} to the hung receiver timed out; "
            f"whole run {m['total_elapsed']:.1f} s"
        )
    finally:
        teardown()


if __name__ == "__main__":
    main()
