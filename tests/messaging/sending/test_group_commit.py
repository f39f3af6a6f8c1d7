"""Group commit: concurrent sends of one process share a transaction; a failing write fails only
its own send; a retried request inside a group still answers once (PostgreSQL, real threads)."""

import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, connections

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline import submit
from messaging.pipeline.models import Batch, Message

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need their own connections"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def sender_account(product_rows):
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry
    from tests.factories import make_account

    account, _ = make_account(credits_amount="100")
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "Group", "service": "G", "country_code": "GB"})
    )
    return account


def _send_together(account, count, *, key=lambda i: None):
    """`count` threads send at once while the first group is held back, so the others queue
    behind it; returns (outcomes by thread, sizes of the groups handled, the two queueing mocks)."""
    sizes, outcomes = [], {}
    original = submit._SENDS.handler
    first = threading.Event()

    def handler(members):
        if not sizes:  # the first send's group waits until every other send has queued behind it
            first.set()
            deadline = time.monotonic() + 30
            while len(submit._SENDS._pending) < count - 1 and time.monotonic() < deadline:
                time.sleep(0.01)
        sizes.append(len(members))
        original(members)

    def send(i):
        try:
            if i:
                first.wait(timeout=30)
            outcomes[i] = services.submit(
                account=account,
                product_code="G",
                outgoing=[Outgoing(to=f"44740013{i:04d}", sender="Group", message=f"Code {i}")],
                idempotency_key=key(i),
            )
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcomes[i] = exc
        finally:
            connections.close_all()

    with (
        mock.patch.object(submit._SENDS, "handler", handler),
        mock.patch("messaging.pipeline.submit.enqueue") as enqueue,
        mock.patch("messaging.pipeline.submit.enqueue_many") as enqueue_many,
    ):
        threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return outcomes, sizes, (enqueue, enqueue_many)


def test_waiting_sends_commit_together_and_each_is_paid_once(sender_account):
    outcomes, sizes, (enqueue, enqueue_many) = _send_together(sender_account, 6)
    assert sizes == [1, 5]  # the five that waited shared one transaction
    assert all(not isinstance(o, Exception) and o.batch.accepted == 1 for o in outcomes.values())
    assert credits.balance(sender_account) == Decimal("94")
    assert LedgerEntry.objects.filter(account=sender_account, kind=LedgerKind.DEBIT).count() == 6
    assert Batch.objects.filter(account=sender_account).count() == 6 == Message.objects.count()
    # Every batch queued once, after its commit: the first alone, the five in one task.
    assert enqueue.call_count == 1 and enqueue_many.call_count == 1
    queued = [enqueue.call_args.args[0], *enqueue_many.call_args.args[0]]
    assert sorted(queued) == sorted(o.batch.pk for o in outcomes.values())


def test_a_duplicate_key_in_a_group_waits_for_the_first_and_replays_it(sender_account):
    # Threads 1 and 2 reuse one idempotency key in one group: the later one is handled after the
    # group has committed, alone, and answers with the first one's batch.
    outcomes, sizes, _ = _send_together(sender_account, 4, key=lambda i: "custom:same" if i in (1, 2) else None)
    assert sizes == [1, 3, 1]
    batches = {i: o.batch.pk for i, o in outcomes.items()}
    assert batches[1] == batches[2]
    assert {outcomes[1].replayed, outcomes[2].replayed} == {True, False}
    assert Batch.objects.filter(account=sender_account).count() == 3
    assert credits.balance(sender_account) == Decimal("97")
    assert LedgerEntry.objects.filter(account=sender_account, kind=LedgerKind.DEBIT).count() == 3


def test_a_failing_hook_after_the_commit_does_not_write_again(sender_account, caplog):
    sends = [
        submit.Send(
            account=sender_account,
            channel="sms",
            product_code="G",
            outgoing=[Outgoing(to=f"44740013{i:04d}", sender="Group", message="Hi")],
        )
        for i in range(2)
    ]
    with mock.patch("messaging.pipeline.submit.enqueue_many", side_effect=ConnectionError("broker down")):
        submit.accept(sends)
    assert [s.outcome().batch.accepted for s in sends] == [1, 1]  # committed: answered, not run again
    assert Batch.objects.filter(account=sender_account).count() == 2
    assert credits.balance(sender_account) == Decimal("98")
    assert "a hook after a group commit failed" in caplog.text
