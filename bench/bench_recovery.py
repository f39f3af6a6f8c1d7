"""Recovery after a crash: a real Celery worker is killed (SIGKILL) mid-send, every task the broker
held is thrown away, and the sweeper alone brings every message to its final status from the
database. PostgreSQL.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
          ../.venv/bin/python bench_recovery.py [--messages 20000] [--batch 5000] [--broker amqp://…]

One worker process (solo pool, queues sms-bulk and celery) dispatches the batches; the simulator
holds each chunk for --latency-ms and reports receipts after SIMULATOR_DLR_DELAY (2 s), so when
the worker is killed (once --kill-at of the messages are submitted) some messages are queued, one
chunk is at the supplier unrecorded, and recorded chunks wait for receipts whose tasks are lost.
The broker is then flushed, a fresh worker started, and the sweeper run once as beat would (its
clock past its bounds). Printed: the state at the kill, what the sweeper found, and the time from
the sweep until every message is final with one status event, with the checks that nothing was
handed over, charged or announced twice.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from unittest import mock

from _setup import ROOT, scratch_database, setup_django
from bench_pipeline import _broker_label, _choose_broker


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--latency-ms", type=int, default=300, help="time the simulator holds each chunk")
    parser.add_argument("--kill-at", type=float, default=0.4, help="share of messages submitted at the kill")
    parser.add_argument("--broker", help="broker URL (default: the settings' broker)")
    args = parser.parse_args()
    scratch_dir = tempfile.mkdtemp(prefix="bench-recovery-")
    _choose_broker(args.broker, scratch_dir)
    os.environ["DATA_DIR"] = scratch_dir  # worker logs; the filesystem broker's folders too
    setup_django()
    teardown = scratch_database()
    try:
        run(args, scratch_dir)
    finally:
        teardown()


def _worker(name, scratch_dir, latency_ms):
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": "benchmark-only",
        "SIMULATOR_SUBMIT_LATENCY_MS": str(latency_ms),
        "SIMULATOR_DELIVERY_RATIO": "0.95",
        "LOG_LEVEL": "WARNING",
    }
    log = Path(scratch_dir) / f"{name}.log"
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo"]
        + ["--hostname", f"{name}@%h", "--queues", "sms-bulk,celery"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115 - the process owns it
        stderr=subprocess.STDOUT,
    )
    end = time.monotonic() + 120
    while " ready." not in log.read_text():
        if time.monotonic() > end or proc.poll() is not None:
            raise SystemExit(f"worker {name} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return proc


def _flush_broker():
    """Throw away every task the broker holds, delivered or not."""
    from celery import current_app
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem"):
        for path in Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).glob("*"):
            path.unlink(missing_ok=True)
    elif url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(url)
        prefix = os.environ["BROKER_KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        current_app.control.purge()


def run(args, scratch_dir):
    from django.conf import settings
    from django.db.models import Count, Q
    from django.utils import timezone

    from accounts.models import LedgerEntry, LedgerKind
    from accounts.services.customers import create_customer
    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing
    from messaging.pipeline import tasks
    from messaging.pipeline.models import Message, SimulatedSubmission, State
    from messaging.pipeline.sweep import release_due, sweep
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry
    from portal.core.events.models import Event

    account, _ = create_customer(email="crash@example.com", password="x", credits_amount="100000000")
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "Crash", "service": "G", "country_code": "GB"})
    )
    batch_ids = []
    with mock.patch("messaging.pipeline.submit.enqueue"):
        for b in range(args.messages // args.batch):
            outgoing = [
                Outgoing(to=f"4474{b * args.batch + i:08d}", sender="Crash", message=f"Batch {b} says hello")
                for i in range(args.batch)
            ]
            batch_ids.append(services.submit(account=account, product_code="G", outgoing=outgoing).batch.pk)
    total = Message.objects.count()
    print(f"broker {_broker_label(settings.CELERY_BROKER_URL)}; {os.cpu_count()} cores; {total:,} messages")

    first = _worker("first", scratch_dir, args.latency_ms)
    for batch_id in batch_ids:
        tasks.dispatch_batch.apply_async(args=[batch_id], queue="sms-bulk")
    while Message.objects.filter(state__in=[State.SUBMITTED, State.FINAL]).count() < total * args.kill_at:
        time.sleep(0.05)
    while not Message.objects.filter(state=State.SUBMITTING).exists():  # a chunk at the supplier
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = dict(Message.objects.values_list("state").annotate(n=Count("id")).order_by())
    groups = {  # what each message was waiting for when the worker died
        "receipt lost": list(Message.objects.filter(state=State.SUBMITTED).values_list("id", flat=True)),
        "chunk at the supplier": list(Message.objects.filter(state=State.SUBMITTING).values_list("id", flat=True)),
        "dispatch lost": list(Message.objects.filter(state=State.QUEUED).values_list("id", flat=True)),
    }
    _flush_broker()
    print(f"killed; states at the kill {at_kill}; broker flushed")

    second = _worker("second", scratch_dir, args.latency_ms)
    try:
        start = time.perf_counter()
        release_due()
        report = sweep(now=timezone.now() + timedelta(minutes=11))  # beat's run once its bounds have passed
        done = {}
        while len(done) < len(groups):
            if time.perf_counter() - start > 600:
                raise SystemExit(f"not recovered in 10 minutes: {Counter(Message.objects.values_list('state'))}")
            for name, ids in groups.items():
                if name not in done and Message.objects.filter(pk__in=ids, state=State.FINAL).count() == len(ids):
                    done[name] = time.perf_counter() - start
            time.sleep(0.2)
        elapsed = max(done.values())
    finally:
        second.terminate()
        second.wait(30)
    events = Event.objects.filter(type="sms:message:status")
    taken = SimulatedSubmission.objects.aggregate(n=Count("id"), twice=Count("id", filter=Q(attempts__gt=1)))
    debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count()
    announced = events.order_by().values("payload__id").distinct().count()
    print(f"sweeper found {report}")
    for name, ids in groups.items():
        print(f"  {name:>22}: {len(ids):>6,} messages final {done[name]:5.1f} s after the sweep")
    print(
        f"recovered: every one of {total:,} messages final {elapsed:.1f} s after the sweep; "
        f"{events.count():,} status events ({announced:,} distinct messages), "
        f"{taken['n']:,} messages taken by the supplier ({taken['twice']} handed over twice), "
        f"{debits} debits for {len(batch_ids)} batches"
    )
    assert events.count() == total and taken["twice"] == 0 and debits == len(batch_ids)


if __name__ == "__main__":
    main()
