"""Dispatch never loses or double-sends a message, and money follows the messages."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline import tasks
from messaging.pipeline.models import Message, State
from portal.core.events.models import Event


def _batch(account, n=4):
    with mock.patch("messaging.pipeline.submit.enqueue"):
        return services.submit(
            account=account,
            product_code="G",
            outgoing=[Outgoing(to=f"44740012345{i}", sender="AcmeUK", message="Hello there") for i in range(n)],
        ).batch


def test_messages_the_supplier_refuses_are_refunded_once(account, sending_setup):
    batch = _batch(account)
    assert credits.balance(account) == Decimal("92")
    refuse_odd = lambda self, messages: [None if m.index % 2 else f"s{m.index}" for m in messages]  # noqa: E731
    with (
        mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.submit", refuse_odd),
        mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts"),
    ):
        tasks.dispatch_batch(batch.pk)
        tasks.dispatch_batch(batch.pk)  # a duplicated task changes nothing
    states = dict(Message.objects.filter(batch=batch).values_list("index", "status"))
    assert states == {1: "REJECTED", 2: "AWAITING-DLR", 3: "REJECTED", 4: "AWAITING-DLR"}
    assert credits.balance(account) == Decimal("96")
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.REFUND).count() == 1
    # The customer hears of each refusal as of any final status: one event per refused message.
    refused = Event.objects.filter(account=account, type="sms:message:status")
    assert sorted(refused.values_list("payload__id", "payload__status")) == [
        (f"{batch.uuid}:1", "REJECTED"),
        (f"{batch.uuid}:3", "REJECTED"),
    ]
    # Recording the same refusal again (a slow worker and the sweeper) refunds and announces nothing.
    from messaging.pipeline.dispatch import refund_refused

    refund_refused(batch.pk, list(Message.objects.filter(batch=batch, index__in=[1, 3])))
    assert refused.count() == 2 and credits.balance(account) == Decimal("96")


def test_a_crash_mid_batch_loses_nothing_and_sends_nothing_twice(account, sending_setup):
    from messaging.pipeline.connectors.simulator import SimulatorConnector
    from messaging.pipeline.models import SimulatedSubmission

    batch = _batch(account, n=5)
    real_submit = SimulatorConnector.submit
    calls = []

    def dies_after_the_supplier_took_it(self, messages):
        calls.append([m.index for m in messages])
        result = real_submit(self, messages)  # the carrier has them...
        if len(calls) == 2:
            raise RuntimeError("worker killed")  # ...but the worker dies before recording it
        return result

    with (
        mock.patch("messaging.pipeline.dispatch.CHUNK", 2),
        mock.patch.object(SimulatorConnector, "submit", dies_after_the_supplier_took_it),
        mock.patch.object(SimulatorConnector, "schedule_receipts"),
        pytest.raises(RuntimeError),
    ):
        tasks.dispatch_batch(batch.pk)
    # The first chunk is recorded; the second was claimed and handed over, not recorded.
    assert dict(Message.objects.filter(batch=batch).values_list("index", "state")) == {
        1: State.SUBMITTED,
        2: State.SUBMITTED,
        3: State.SUBMITTING,
        4: State.SUBMITTING,
        5: State.QUEUED,
    }
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    with mock.patch.object(SimulatorConnector, "schedule_receipts"):
        tasks.dispatch_batch(batch.pk)  # the redelivered task (late ack) takes only what is still queued
        assert tasks.resubmit_stuck(batch.pk, claimed_before=later) == 2  # the sweeper's turn for 3 and 4
        assert tasks.resubmit_stuck(batch.pk, claimed_before=later) == 0
    # The carrier said it holds 3 and 4 (and, its delay being 0, that they were delivered): recorded
    # with its ids and their receipts applied, without handing them over again.
    assert dict(Message.objects.filter(batch=batch).values_list("index", "state")) == {
        1: State.SUBMITTED,
        2: State.SUBMITTED,
        3: State.FINAL,
        4: State.FINAL,
        5: State.SUBMITTED,
    }
    log = {s.message_id: s for s in SimulatedSubmission.objects.all()}
    assert len(log) == 5
    by_index = dict(Message.objects.filter(batch=batch).values_list("index", "id"))
    assert [log[by_index[i]].attempts for i in range(1, 6)] == [1, 1, 1, 1, 1]  # each handed over once
    for index, supplier_id in Message.objects.filter(batch=batch).values_list("index", "supplier_message_id"):
        assert log[by_index[index]].supplier_message_id == supplier_id
    assert Event.objects.filter(account=account, type="sms:message:status").count() == 2  # 3 and 4
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count() == 1
