"""A real Celery worker process killed mid-batch (SIGKILL): nothing lost, nothing sent or charged
twice. Runs real worker processes on a filesystem broker against the test database, so it needs
PostgreSQL (an in-memory SQLite test database cannot be shared between processes)."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline.models import Message, SimulatedSubmission, State
from portal.core.events.models import Event

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 3000  # three chunks of 1,000: the kill lands while the batch is part-way through


def _env(data_dir):
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "REDIS", "CACHE", "CELERY"))}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        DATA_DIR=str(data_dir),  # filesystem broker and file cache of their own
        SECRET_KEY="crash-test",
        SIMULATOR_SUBMIT_LATENCY_MS="700",  # each chunk spends a while "at the supplier"
        SIMULATOR_DLR_DELAY="0",
        SIMULATOR_DELIVERY_RATIO="1",
    )
    return env


def _worker(env, name):
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "--hostname",
            f"{name}@crash",
            "--queues",
            "sms-high,celery,sms-bulk",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(Path(env["DATA_DIR"]) / f"{name}.log", "w"),  # noqa: SIM115 - the process owns it
        stderr=subprocess.STDOUT,
    )


def _run(env, code):
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)  # noqa: S603


def _wait(condition, timeout, what, logs=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    tails = "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(Path(logs or ".").glob("*.log")))
    states = Counter(Message.objects.values_list("state", flat=True))
    raise AssertionError(f"timed out waiting for {what}; states {dict(states)}{tails}")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes share the PostgreSQL test database")
@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_mid_batch_loses_nothing_and_doubles_nothing(catalogue, tmp_path):
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry
    from tests.factories import make_account

    account, _ = make_account(credits_amount="10000")
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "Crash", "service": "G", "country_code": "GB"})
    )
    with mock.patch("messaging.pipeline.submit.enqueue"):  # the real workers take it from here
        batch = services.submit(
            account=account,
            service_code="G",
            outgoing=[Outgoing(to=f"4474{i:08d}", sender="Crash", message="Hello") for i in range(MESSAGES)],
        ).batch
    assert credits.balance(account) == 10000 - MESSAGES
    env = _env(tmp_path)
    first = _worker(env, "first")
    second = None
    try:
        _run(
            env,
            "from messaging.pipeline.tasks import dispatch_batch; "
            f"dispatch_batch.apply_async(args=[{batch.pk}], queue='sms-bulk')",
        )
        # Kill it once the supplier has taken a chunk whose answer has not come back yet, while the
        # rest of the batch is still queued.
        mine = Message.objects.filter(batch=batch)

        def taken_but_unrecorded():
            in_flight = mine.filter(state=State.SUBMITTING).values_list("id", flat=True)
            return (
                mine.filter(state=State.QUEUED).exists()
                and SimulatedSubmission.objects.filter(message_id__in=list(in_flight)).exists()
            )

        _wait(taken_but_unrecorded, 60, "a chunk taken by the supplier")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert mine.filter(state=State.QUEUED).exists(), "the kill came too late to test anything"

        second = _worker(env, "second")
        # The sweeper's turn, as if its 5 minutes had passed: it re-dispatches what is queued and
        # hands the half-sent chunk to the (deduplicating) supplier again.
        _run(
            env,
            "from datetime import timedelta; from django.utils import timezone; "
            "from messaging.pipeline.sweep import sweep; sweep(now=timezone.now() + timedelta(minutes=10))",
        )
        _wait(lambda: mine.filter(state=State.FINAL).count() == MESSAGES, 90, "every message final", tmp_path)
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(15)

    assert Counter(mine.values_list("status", flat=True)) == {"DELIVRD": MESSAGES}
    ids = list(mine.values_list("id", flat=True))
    carrier = SimulatedSubmission.objects.filter(message_id__in=ids)
    assert carrier.count() == MESSAGES  # the carrier took every message exactly once...
    assert carrier.filter(attempts__gt=1).exists()  # ...though the half-sent chunk was handed over twice
    assert set(mine.values_list("supplier_message_id", flat=True)) == set(
        carrier.values_list("supplier_message_id", flat=True)
    )
    debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT)
    assert debits.count() == 1 and not LedgerEntry.objects.filter(account=account, kind=LedgerKind.REFUND).exists()
    assert credits.balance(account) == 10000 - MESSAGES
    statuses = Event.objects.filter(account=account, type="sms:message:status")
    assert statuses.count() == MESSAGES  # one status event per message, none doubled
