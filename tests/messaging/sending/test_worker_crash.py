"""A real Celery worker process killed mid-batch (SIGKILL): nothing lost, nothing sent or charged
twice. Runs real worker processes against the test database, so it needs PostgreSQL (an in-memory
SQLite test database cannot be shared between processes). The broker is TEST_BROKER_URL's
(tests/workers.py): the filesystem transport by default, RabbitMQ or Redis when set."""

import signal
from collections import Counter
from unittest import mock

import pytest
from django.db import connection

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline.models import Message, SimulatedSubmission, State
from portal.core.events.models import Event
from tests.workers import broker_env, manage_shell, start_worker, stop_workers, wait_for

MESSAGES = 3000  # three chunks of 1,000: the kill lands while the batch is part-way through
CRASH_ENV = {
    "SIMULATOR_SUBMIT_LATENCY_MS": "700",  # each chunk spends a while "at the supplier"
    "SIMULATOR_DLR_DELAY": "0",
    "SIMULATOR_DELIVERY_RATIO": "1",
}
SMS_QUEUES = "sms-high,celery,sms-bulk"


def _states():
    return f"; states {dict(Counter(Message.objects.values_list('state', flat=True)))}"


@pytest.mark.real_worker
@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes share the PostgreSQL test database")
@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_mid_batch_loses_nothing_and_doubles_nothing(product_rows, tmp_path):
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
            product_code="G",
            outgoing=[Outgoing(to=f"4474{i:08d}", sender="Crash", message="Hello") for i in range(MESSAGES)],
        ).batch
    assert credits.balance(account) == 10000 - MESSAGES
    with broker_env(tmp_path, **CRASH_ENV) as env:
        first = start_worker(env, "first", queues=SMS_QUEUES)
        second = None
        try:
            manage_shell(
                env,
                "from messaging.pipeline.tasks import dispatch_batch; "
                f"dispatch_batch.apply_async(args=[{batch.pk}], queue='sms-bulk')",
            )
            # Kill it once the supplier has taken a chunk whose answer has not come back yet, while
            # the rest of the batch is still queued.
            mine = Message.objects.filter(batch=batch)

            def taken_but_unrecorded():
                in_flight = mine.filter(state=State.SUBMITTING).values_list("id", flat=True)
                return (
                    mine.filter(state=State.QUEUED).exists()
                    and SimulatedSubmission.objects.filter(message_id__in=list(in_flight)).exists()
                )

            wait_for(taken_but_unrecorded, 60, "a chunk taken by the supplier", tmp_path, _states)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            assert mine.filter(state=State.QUEUED).exists(), "the kill came too late to test anything"

            second = start_worker(env, "second", queues=SMS_QUEUES)
            # The sweeper's turn, as if its 5 minutes had passed: it re-dispatches what is queued and
            # hands the half-sent chunk to the (deduplicating) supplier again. (RabbitMQ has already
            # given the killed worker's task to the second one; that changes nothing.)
            manage_shell(
                env,
                "from datetime import timedelta; from django.utils import timezone; "
                "from messaging.pipeline.sweep import sweep; sweep(now=timezone.now() + timedelta(minutes=10))",
            )
            wait_for(
                lambda: mine.filter(state=State.FINAL).count() == MESSAGES, 90, "every message final", tmp_path, _states
            )
        finally:
            stop_workers(first, second)

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
