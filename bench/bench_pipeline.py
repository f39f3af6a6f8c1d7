"""End-to-end throughput: accepted messages dispatched to the simulator, receipts applied, events
written, until every message is final. PostgreSQL.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_pipeline.py [--messages 200000]

Without --workers, one process calls dispatch and receipts in turn (the pipeline's own cost).
With --workers 1,2 (any list of counts), each round starts that many real Celery worker processes
(solo pool, queues sms-bulk and celery) on the broker, sends one dispatch task per batch through
it and times until every message is final with its event; receipts travel as tasks too. The
broker is --broker, else CELERY_BROKER_URL/BROKER_URL/REDIS_URL, else the filesystem transport in
a scratch DATA_DIR; on Redis the run's keys get a prefix of their own (give RabbitMQ a vhost of
its own in the URL).
"""

import argparse
import contextlib
import cProfile
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock

from _setup import ROOT, cpu_seconds, scratch_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=1_000_000, help="simulator send rate per second")
    parser.add_argument("--workers", help="comma-separated worker process counts, one round each (e.g. 1,2)")
    parser.add_argument("--broker", help="broker URL for --workers (default: the settings' broker)")
    parser.add_argument("--profile", action="store_true", help="in one process: cProfile dispatch and receipts")
    args = parser.parse_args()
    rounds = [int(n) for n in args.workers.split(",")] if args.workers else []
    scratch_dir = tempfile.mkdtemp(prefix="bench-pipeline-") if rounds else None
    if rounds:
        _choose_broker(args.broker, scratch_dir)
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings

        settings.SIMULATOR = {"delivery_ratio": 0.95, "dlr_delay_seconds": 0, "seed": 7}
        # The pipeline's own capacity is measured: the connector's configured send rate (5,000/s
        # for the simulator by default) would otherwise set the pace.
        settings.CONNECTOR_RATES = {**settings.CONNECTOR_RATES, "simulator": args.rate}
        from accounts.services.customers import create_customer
        from messaging.pricing.services import save_price
        from messaging.review import services as review
        from messaging.senders import services as registry

        account, _ = create_customer(email="pipe@example.com", password="x", credits_amount="100000000")
        save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
        review.approve(
            item=registry.create_sender(account=account, data={"name": "Pipe", "service": "G", "country_code": "GB"})
        )
        if not rounds:
            in_process(account, args)
            return
        print(f"broker {_broker_label(settings.CELERY_BROKER_URL)}; {os.cpu_count()} cores")
        results = [with_workers(account, args, n, r, scratch_dir) for r, n in enumerate(rounds)]
        print("\nworkers  messages  dispatched  final     messages/s  worker CPU  load (start → end)")
        for n, accepted, dispatched, elapsed, cpu, load0, load1 in results:
            print(
                f"{n:>7}  {accepted:>8,}  {dispatched:>8.1f} s  {elapsed:>6.1f} s  {accepted / elapsed:>10,.0f}"
                f"  {cpu:>8.1f} s  {load0:.2f} → {load1:.2f}"
            )
    finally:
        teardown()


def _submit(account, args, label):
    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing
    from messaging.pipeline.models import Message, State

    rng = random.Random(label)
    batch_ids = []
    with mock.patch("messaging.pipeline.submit.enqueue"):
        for b in range(args.messages // args.batch):
            outgoing = [
                Outgoing(to=f"4474{rng.randrange(10**7, 10**8)}", sender="Pipe", message=f"{label} {b} says hello")
                for _ in range(args.batch)
            ]
            batch_ids.append(services.submit(account=account, product_code="G", outgoing=outgoing).batch.pk)
    return batch_ids, Message.objects.filter(state=State.QUEUED).count()


def in_process(account, args):
    from messaging.pipeline import tasks
    from messaging.pipeline.models import Message, State
    from portal.core.events.models import Event

    batch_ids, accepted = _submit(account, args, "Campaign")
    receipts = []
    profiles = {"dispatch": cProfile.Profile(), "receipts": cProfile.Profile()} if args.profile else None
    with mock.patch(
        "messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts",
        lambda self, ids: receipts.append(list(ids)),
    ):
        start = time.perf_counter()
        with _profiled(profiles, "dispatch"):
            for batch_id in batch_ids:
                tasks.dispatch_batch(batch_id)
        dispatched = time.perf_counter() - start
        with _profiled(profiles, "receipts"):
            for chunk in receipts:
                tasks.simulate_receipts(chunk)
        elapsed = time.perf_counter() - start
    final = Message.objects.filter(state=State.FINAL).count()
    events = Event.objects.filter(type="sms:message:status").count()
    print(f"messages accepted={accepted} final={final} events={events}")
    print(
        f"dispatch {dispatched:.1f} s; dispatch + receipts {elapsed:.1f} s = {final / elapsed:,.0f} messages/s "
        "to final status (one process)"
    )
    assert final == accepted == events
    for name, profile in (profiles or {}).items():
        print(f"\n== {name}: top functions by own time ==")
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


@contextlib.contextmanager
def _profiled(profiles, name):
    """Profile the block under `name`, with its SQL statements counted and timed (the slowest
    kinds printed by their opening words), or just run it."""
    if profiles is None:
        yield
        return
    from django.db import connection

    seconds, statements = {}, [0]

    def timed(execute, sql, params, many, context):
        statements[0] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            opening = " ".join(sql.split())[:90]
            seconds[opening] = seconds.get(opening, 0) + time.perf_counter() - started

    with connection.execute_wrapper(timed):
        profiles[name].enable()
        try:
            yield
        finally:
            profiles[name].disable()
    print(f"{name}: {statements[0]} SQL statements; the slowest kinds (seconds, opening words):")
    for opening, spent in sorted(seconds.items(), key=lambda kv: -kv[1])[:8]:
        print(f"   {spent:6.3f}  {opening}")


def _choose_broker(url, scratch_dir):
    """Point this process (and so the workers, which inherit the environment) at one broker,
    before Django reads the settings."""
    url = url or os.environ.get("CELERY_BROKER_URL") or os.environ.get("BROKER_URL") or os.environ.get("REDIS_URL")
    os.environ["CELERY_BROKER_URL"] = url or "filesystem://"
    if not url:  # the filesystem transport's folders live in DATA_DIR: a scratch one
        os.environ["DATA_DIR"] = scratch_dir
    elif url.startswith("redis"):
        os.environ["BROKER_KEY_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}:"


def _broker_label(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (
        parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl()
        if parts.hostname
        else url
    )


def _truncate():
    from django.db import connection

    from messaging.pipeline.models import Message, SimulatedSubmission
    from portal.core.events.models import Event

    tables = [m._meta.db_table for m in (Message, Event, SimulatedSubmission)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # noqa: S608 - model table names
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def _start_workers(count, round_no, scratch_dir, rate):
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": "benchmark-only",
        "SIMULATOR_RATE": str(rate),
        "SIMULATOR_DLR_DELAY": "0",
        "SIMULATOR_DELIVERY_RATIO": "0.95",
        "SIMULATOR_SEED": "7",
        "LOG_LEVEL": "WARNING",
    }
    procs = []
    for i in range(count):
        log = Path(scratch_dir) / f"round{round_no}-worker{i}.log"
        procs.append(
            subprocess.Popen(  # noqa: S603 - fixed arguments
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo"]
                + ["--hostname", f"bench{round_no}-{i}@%h", "--queues", "sms-bulk,celery"]
                + ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
                cwd=ROOT,
                env=env,
                stdout=open(log, "w"),  # noqa: SIM115 - the process owns it
                stderr=subprocess.STDOUT,
            )
        )
    logs = [Path(scratch_dir) / f"round{round_no}-worker{i}.log" for i in range(count)]
    end = time.monotonic() + 120
    while not all(" ready." in p.read_text() for p in logs):
        if time.monotonic() > end or any(p.poll() is not None for p in procs):
            raise SystemExit("workers did not start:\n" + "\n".join(p.read_text()[-2000:] for p in logs))
        time.sleep(0.2)
    return procs


def with_workers(account, args, count, round_no, scratch_dir):
    from django.db.models import Count, Q

    from messaging.pipeline import tasks
    from messaging.pipeline.models import Message, Priority, State
    from messaging.pipeline.queues import queue_for
    from portal.core.events.models import Event

    _truncate()
    batch_ids, accepted = _submit(account, args, f"Round {round_no}")
    procs = _start_workers(count, round_no, scratch_dir, args.rate)
    try:
        load0 = os.getloadavg()[0]
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        start = time.perf_counter()
        for batch_id in batch_ids:
            tasks.dispatch_batch.apply_async(args=[batch_id], queue=queue_for("sms", Priority.BULK))
        dispatched, last, progressed = None, None, 0.0
        while True:  # once a second (a scan of the message table: more often would slow the run)
            time.sleep(1)
            counts = Message.objects.aggregate(
                final=Count("id", filter=Q(state=State.FINAL)),
                waiting=Count("id", filter=Q(state__in=[State.QUEUED, State.SUBMITTING])),
            )
            now = time.perf_counter() - start
            if dispatched is None and not counts["waiting"]:
                dispatched = now
            if counts["final"] == accepted and Event.objects.filter(type="sms:message:status").count() == accepted:
                break
            if counts != last:
                last, progressed = counts, now
            elif now - progressed > 120:  # tasks lost (a flushed Redis database?) or workers stuck
                raise SystemExit(f"no progress for 2 minutes: {counts}")
        elapsed = time.perf_counter() - start
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        load1 = os.getloadavg()[0]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    print(
        f"{count} worker process(es): {accepted:,} messages final with events in {elapsed:.1f} s "
        f"(dispatch done at {dispatched:.1f} s) = {accepted / elapsed:,.0f} messages/s; "
        f"load {load0:.2f} → {load1:.2f}",
        flush=True,
    )
    return count, accepted, dispatched, elapsed, cpu, load0, load1


if __name__ == "__main__":
    main()
