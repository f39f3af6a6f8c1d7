"""Dispatch never loses or double-sends a message, and money follows the messages."""

from decimal import Decimal
from unittest import mock

import pytest

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.sending import services, tasks
from messaging.sending.models import Message, State
from messaging.sending.services import Outgoing


def _batch(account, n=4):
    with mock.patch("messaging.sending.services._enqueue"):
        return services.submit(
            account=account,
            service_code="G",
            outgoing=[Outgoing(to=f"44740012345{i}", sender="AcmeUK", message="Hello there") for i in range(n)],
        ).batch


def test_messages_the_supplier_refuses_are_refunded_once(account, sending_setup):
    batch = _batch(account)
    assert credits.balance(account) == Decimal("92")
    refuse_odd = lambda self, messages: [None if m.index % 2 else f"s{m.index}" for m in messages]  # noqa: E731
    with (
        mock.patch("messaging.sending.connectors.simulator.SimulatorConnector.submit", refuse_odd),
        mock.patch("messaging.sending.connectors.simulator.SimulatorConnector.schedule_receipts"),
    ):
        tasks.dispatch_batch(batch.pk)
        tasks.dispatch_batch(batch.pk)  # a duplicated task changes nothing
    states = dict(Message.objects.filter(batch=batch).values_list("index", "status"))
    assert states == {1: "REJECTED", 2: "AWAITING-DLR", 3: "REJECTED", 4: "AWAITING-DLR"}
    assert credits.balance(account) == Decimal("96")
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.REFUND).count() == 1


def test_a_crash_mid_batch_loses_nothing_and_sends_nothing_twice(account, sending_setup):
    batch = _batch(account, n=5)
    submitted = []

    def flaky_submit(self, messages):
        submitted.extend(m.index for m in messages)
        if len(submitted) > 2:
            raise RuntimeError("worker killed")
        return [f"s{m.index}" for m in messages]

    with (
        mock.patch("messaging.sending.tasks.CHUNK", 2),
        mock.patch("messaging.sending.connectors.simulator.SimulatorConnector.submit", flaky_submit),
        mock.patch("messaging.sending.connectors.simulator.SimulatorConnector.schedule_receipts"),
        pytest.raises(RuntimeError),
    ):
        tasks.dispatch_batch(batch.pk)
    # The first chunk committed; the chunk in flight rolled back and is still queued.
    assert dict(Message.objects.filter(batch=batch).values_list("index", "state")) == {
        1: State.SUBMITTED,
        2: State.SUBMITTED,
        3: State.QUEUED,
        4: State.QUEUED,
        5: State.QUEUED,
    }
    sent = []
    with (
        mock.patch(
            "messaging.sending.connectors.simulator.SimulatorConnector.submit",
            lambda self, ms: sent.extend(m.index for m in ms) or [f"t{m.index}" for m in ms],
        ),
        mock.patch("messaging.sending.connectors.simulator.SimulatorConnector.schedule_receipts"),
    ):
        tasks.dispatch_batch(batch.pk)  # the redelivered task (late ack) or the sweeper
    assert sent == [3, 4, 5]
    assert Message.objects.filter(batch=batch, state=State.SUBMITTED).count() == 5
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count() == 1
