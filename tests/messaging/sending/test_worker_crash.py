"""A real Celery worker process killed mid-send (SIGKILL) and the broker's tasks lost with it:
the sweeper finds every message from the database and pushes it on, nothing is sent, charged or
announced twice.

Runs real worker processes against the test database, so it needs PostgreSQL (an in-memory SQLite
test database cannot be shared between processes). The broker is TEST_BROKER_URL's
(tests/workers.py): the filesystem transport by default, RabbitMQ or Redis when set."""

import signal
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline.connectors.simulator import SimulatorConnector
from messaging.pipeline.models import Batch, Message, SimulatedSubmission, State
from portal.core.events.models import Event
from tests.workers import broker_env, flush_broker, manage_shell, start_worker, stop_workers, wait_for

BULK, URGENT, SCHEDULED = 3000, 1000, 500  # the bulk batch goes out in three chunks of 1,000
CRASH_ENV = {
    "SIMULATOR_SUBMIT_LATENCY_MS": "600",  # each chunk spends a while "at the supplier"
    "SIMULATOR_DLR_DELAY": "1",  # receipts are countdown tasks: a worker holds them before they run
    "SIMULATOR_DELIVERY_RATIO": "0.9",
    "SIMULATOR_REFUSE_RATIO": "0.02",  # some refused outright: refunded, announced
    "BROKER_VISIBILITY_TIMEOUT": "3600",  # on Redis, nothing the dead worker held comes back in time
}
SMS_QUEUES = "sms-high,celery,sms-bulk"
RECOVERY_BOUND = 45  # seconds from the kill until every message is final


def _states(batches):
    return lambda: (
        f"; states {dict(Counter(Message.objects.filter(batch__in=batches).values_list('state', flat=True)))}"
    )


def _sweep_as_beat(env, *, minutes, expect=None):
    """What beat runs (release_scheduled every 30 s, sweep_stuck every 5 minutes), with the
    sweeper's clock `minutes` ahead so its bounds have passed; optionally checks its report."""
    check = f"assert report == {expect!r}, report" if expect is not None else ""
    manage_shell(
        env,
        "from datetime import timedelta; from django.utils import timezone; "
        "from messaging.pipeline.sweep import release_due, sweep; "
        f"release_due(); report = sweep(now=timezone.now() + timedelta(minutes={minutes})); print(report); {check}",
    )


@pytest.mark.real_worker
@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes share the PostgreSQL test database")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_and_a_flushed_broker_lose_nothing_and_double_nothing(product_rows, tmp_path):
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry
    from tests.factories import make_account

    account, _ = make_account(credits_amount="10000")
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "Crash", "service": "G", "country_code": "GB"})
    )

    def send(count, start, **options):
        outgoing = [Outgoing(to=f"4474{start + i:08d}", sender="Crash", message="Hello") for i in range(count)]
        with mock.patch("messaging.pipeline.submit.enqueue"):  # the real workers take it from here
            return services.submit(account=account, product_code="G", outgoing=outgoing, **options).batch

    bulk, urgent = send(BULK, 0), send(URGENT, BULK)
    scheduled = send(SCHEDULED, BULK + URGENT, schedule=timezone.now() + timedelta(hours=1))
    # Its time came while no beat ran: only the database knows it is due.
    past = timezone.now() - timedelta(minutes=1)
    Batch.objects.filter(pk=scheduled.pk).update(scheduled_at=past)
    Message.objects.filter(batch=scheduled).update(scheduled_at=past)
    batches = [bulk, urgent, scheduled]
    total = BULK + URGENT + SCHEDULED
    assert credits.balance(account) == 10000 - total
    mine = Message.objects.filter(batch__in=batches)

    with broker_env(tmp_path, **CRASH_ENV) as env:
        first = start_worker(env, "first", queues=SMS_QUEUES)
        second = None
        try:
            manage_shell(
                env,
                "from messaging.pipeline.tasks import dispatch_batch; "
                f"dispatch_batch.apply_async(args=[{bulk.pk}], queue='sms-bulk'); "
                f"dispatch_batch.apply_async(args=[{urgent.pk}], queue='sms-high')",
            )

            # Kill it while the supplier holds a chunk whose answer has not come back, another chunk
            # is recorded but its receipts are still in the broker, and the rest is queued.
            def every_stage_in_flight():
                held = SimulatedSubmission.objects.filter(
                    message_id__in=mine.filter(state=State.SUBMITTING).values("id")
                )
                return (
                    mine.filter(batch=bulk, state=State.QUEUED).exists()
                    and mine.filter(state=State.SUBMITTED).exists()
                    and held.exists()
                )

            wait_for(every_stage_in_flight, 60, "a chunk held by the supplier", tmp_path, _states(batches))
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            killed_at = time.monotonic()
            at_kill = Counter(mine.values_list("state", flat=True))
            assert at_kill[State.QUEUED] and at_kill[State.SUBMITTING] and at_kill[State.SUBMITTED], at_kill
            assert at_kill[State.SCHEDULED] == SCHEDULED
            flush_broker(env)  # every dispatch and receipt task is gone; only the database remains

            second = start_worker(env, "second", queues=SMS_QUEUES)
            _sweep_as_beat(env, minutes=11)  # past the 5-minute and 10-minute bounds
            wait_for(
                lambda: mine.filter(state=State.FINAL).count() == total,
                RECOVERY_BOUND,
                "every message final",
                tmp_path,
                _states(batches),
            )
            recovered_in = time.monotonic() - killed_at
            # Later sweeps find nothing left to do.
            _sweep_as_beat(
                env,
                minutes=180,
                expect={"redispatched_batches": 0, "resubmitted_batches": 0, "receipt_lookups": 0, "timed_out": 0},
            )
            time.sleep(1.5)  # a receipt task still on its way would land now
        finally:
            stop_workers(first, second)
    print(f"recovered {total} messages {recovered_in:.1f} s after the kill; states at the kill {dict(at_kill)}")

    # Exactly one final status per message, and the supplier's: what the simulator decided for the id it gave.
    sim = SimulatorConnector(channel="sms", options={"delivery_ratio": float(CRASH_ENV["SIMULATOR_DELIVERY_RATIO"])})
    taken = dict(
        SimulatedSubmission.objects.filter(message_id__in=mine.values("id")).values_list("message_id", "attempts")
    )
    refused = mine.filter(status="REJECTED")
    for pk, status, code, supplier_id in mine.exclude(status="REJECTED").values_list(
        "id", "status", "status_code", "supplier_message_id"
    ):
        assert (code, status) == sim.outcome_of(supplier_id)
        assert pk in taken
    # No message handed to the supplier twice: the half-sent chunk was recorded from what the
    # supplier said it held, not handed over again.
    assert set(taken.values()) == {1} and len(taken) == total - refused.count()
    assert not SimulatedSubmission.objects.filter(message_id__in=refused.values("id")).exists()
    assert len(set(mine.exclude(status="REJECTED").values_list("supplier_message_id", flat=True))) == len(taken)
    # One status event per final message, with that message's status.
    announced = Counter(
        (p["id"], p["status"])
        for p in Event.objects.filter(account=account, type="sms:message:status").values_list("payload", flat=True)
    )
    expected = Counter(
        (f"{uuid}:{index}", status) for uuid, index, status in mine.values_list("batch__uuid", "index", "status")
    )
    assert announced == expected
    # One debit per batch; the refused messages refunded, once.
    for batch in batches:
        assert (
            LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT, reference=str(batch.uuid)).count() == 1
        )
    refunds = LedgerEntry.objects.filter(account=account, kind=LedgerKind.REFUND).aggregate(total=Sum("amount"))[
        "total"
    ]
    assert (refunds or Decimal(0)) == (refused.aggregate(total=Sum("charges"))["total"] or Decimal(0))
    assert credits.balance(account) == 10000 - total + refused.count()
    assert recovered_in < RECOVERY_BOUND
