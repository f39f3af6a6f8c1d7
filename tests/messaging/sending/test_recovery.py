"""The sweeper recovers each in-flight stage from the database alone (docs/sending.md, "Crash
recovery"): due scheduled sends, queued batches whose task was lost, chunks a worker died on
mid-send, and receipts that never arrived; each without doubling a send, a charge or an event."""

from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline import connectors, lookups, tasks
from messaging.pipeline import sweep as pipeline_sweep
from messaging.pipeline.connectors.base import Reference, SupplierStatus
from messaging.pipeline.connectors.simulator import SimulatorConnector
from messaging.pipeline.models import Message, SimulatedSubmission, State
from portal.core.events.models import Event

OTP = "Your OTP is 4821. Do not share it."
LOST_RECEIPTS = mock.patch.object(SimulatorConnector, "schedule_receipts")  # the receipt task never runs


@pytest.fixture
def account(account):
    from accounts.services import credits

    credits.top_up(account=account, amount="1000")
    return account


def _batch(account, n=1, *, start=0, **options):
    outgoing = [Outgoing(to=f"9198765{start + i:05d}", sender="ACMEIN", message=OTP) for i in range(n)]
    with mock.patch("messaging.pipeline.submit.enqueue"):  # the dispatch task is "lost"
        return services.submit(account=account, product_code="T", outgoing=outgoing, **options).batch


def _age(batch, **delta):
    """Make a batch's messages look as if their last change was `delta` ago (dispatched then too)."""
    then = timezone.now() - timedelta(**delta)
    Message.objects.filter(batch=batch).update(updated_at=then, dispatched_at=then)


def _statuses(batch):
    return Counter(Message.objects.filter(batch=batch).values_list("state", "status"))


def _events(account):
    return Counter(
        Event.objects.filter(account=account, type="sms:message:status").values_list("payload__id", flat=True)
    )


# -- scheduled and queued ------------------------------------------------------------------------


def test_every_due_scheduled_batch_is_released_in_one_run(account, sending_setup):
    first = _batch(account, 250, schedule=timezone.now() + timedelta(hours=1))
    second = _batch(account, 250, start=250, schedule=timezone.now() + timedelta(hours=1))
    with mock.patch("messaging.pipeline.sweep.enqueue") as enqueue:
        assert pipeline_sweep.release_due(now=timezone.now() + timedelta(hours=2)) == 500
    # One dispatch per batch, however many messages each has.
    assert sorted(call.args[0] for call in enqueue.call_args_list) == sorted([first.pk, second.pk])


def test_every_stuck_queued_batch_is_dispatched_again_once(account, sending_setup):
    first, second = _batch(account, 250), _batch(account, 250, start=250)
    fresh = _batch(account, 1, start=900)  # queued a moment ago: its task may well be on its way
    _age(first, minutes=6)
    _age(second, minutes=6)
    with mock.patch("messaging.pipeline.sweep.enqueue") as enqueue:
        report = pipeline_sweep.sweep()
    assert sorted(call.args[0] for call in enqueue.call_args_list) == sorted([first.pk, second.pk])
    assert report["redispatched_batches"] == 2 and fresh.pk not in [c.args[0] for c in enqueue.call_args_list]


# -- submitting: a worker died with the chunk at the supplier -----------------------------------


def _half_sent(batch, *, held, taken_ago=timedelta(minutes=10)):
    """Leave the batch `submitting` as a dead worker would; the simulator holds the messages whose
    index is in `held` (it took them `taken_ago`)."""
    messages = list(Message.objects.filter(batch=batch).order_by("index"))
    Message.objects.filter(batch=batch).update(
        state=State.SUBMITTING, supplier="simulator", dispatched_at=timezone.now() - timedelta(minutes=6)
    )
    for m in messages:
        if m.index in held:
            SimulatedSubmission.objects.create(message_id=m.pk, supplier_message_id=f"sim-{m.index}")
    SimulatedSubmission.objects.filter(message_id__in=[m.pk for m in messages]).update(
        created_at=timezone.now() - taken_ago
    )
    return messages


def test_a_half_sent_chunk_is_recorded_from_what_the_supplier_holds_and_the_rest_handed_over(account, sending_setup):
    batch = _batch(account, 4)
    _half_sent(batch, held={1, 2})
    with LOST_RECEIPTS:
        report = pipeline_sweep.sweep()
    assert report["resubmitted_batches"] == 1
    rows = {m.index: m for m in Message.objects.filter(batch=batch)}
    # 1 and 2 were with the supplier: recorded with its ids and their outcome applied as receipts.
    assert [(rows[i].supplier_message_id, rows[i].state, rows[i].status) for i in (1, 2)] == [
        ("sim-1", State.FINAL, "DELIVRD"),
        ("sim-2", State.FINAL, "DELIVRD"),
    ]
    # 3 and 4 never reached it: handed over now, once.
    assert {rows[i].state for i in (3, 4)} == {State.SUBMITTED}
    assert set(SimulatedSubmission.objects.values_list("attempts", flat=True)) == {1}
    assert SimulatedSubmission.objects.count() == 4
    assert sorted(_events(account)) == [f"{batch.uuid}:1", f"{batch.uuid}:2"]
    with LOST_RECEIPTS:
        assert pipeline_sweep.sweep()["resubmitted_batches"] == 0  # nothing left submitting


def test_a_held_message_without_an_outcome_yet_is_recorded_and_its_receipt_asked_for_later(
    account, sending_setup, settings
):
    settings.SIMULATOR = {**settings.SIMULATOR, "dlr_delay_seconds": 3600}  # the carrier is slow
    batch = _batch(account, 1)
    _half_sent(batch, held={1}, taken_ago=timedelta(minutes=10))
    assert tasks.resubmit_stuck(batch.pk) == 1
    message = Message.objects.get(batch=batch)
    assert (message.state, message.status, message.supplier_message_id) == (State.SUBMITTED, "AWAITING-DLR", "sim-1")
    assert not _events(account)
    settings.SIMULATOR = {**settings.SIMULATOR, "dlr_delay_seconds": 0}  # ...and has an answer now
    pipeline_sweep.sweep(now=timezone.now() + timedelta(minutes=11))
    assert Message.objects.get(batch=batch).status == "DELIVRD" and sum(_events(account).values()) == 1


class Deduplicating:
    """An HTTP-style supplier that deduplicates on our message id but has no status lookup."""

    idempotent = True
    taken = {}

    def __init__(self, *, name, channel, rate, options):
        self.name, self.channel, self.rate = name, channel, rate

    def submit(self, messages):
        return [Deduplicating.taken.setdefault(m.pk, f"dedup-{m.pk}") for m in messages]


def test_a_deduplicating_connector_without_lookups_is_handed_the_chunk_again(account, sending_setup):
    connectors.register_kind("dedup", Deduplicating)
    Deduplicating.taken = {}
    batch = _batch(account, 2)
    first = Message.objects.filter(batch=batch).order_by("index").first()
    Deduplicating.taken[first.pk] = "dedup-first"  # it had taken the first before the worker died
    Message.objects.filter(batch=batch).update(
        state=State.SUBMITTING, supplier="dedup", dispatched_at=timezone.now() - timedelta(minutes=6)
    )
    assert tasks.resubmit_stuck(batch.pk, "dedup") == 2
    assert dict(Message.objects.filter(batch=batch).values_list("index", "supplier_message_id")) == {
        1: "dedup-first",  # the id it gave the first time
        2: f"dedup-{first.pk + 1}",
    }
    assert len(Deduplicating.taken) == 2


def test_a_chunk_a_live_worker_is_still_sending_is_left_alone(account, sending_setup):
    batch = _batch(account, 1)
    Message.objects.filter(batch=batch).update(
        state=State.SUBMITTING, supplier="simulator", dispatched_at=timezone.now()
    )
    assert pipeline_sweep.sweep()["resubmitted_batches"] == 0
    assert Message.objects.get(batch=batch).state == State.SUBMITTING and not SimulatedSubmission.objects.exists()


# -- submitted: the receipt never came --------------------------------------------------------


def _sent_with_lost_receipts(account, n=3, **age):
    batch = _batch(account, n)
    with LOST_RECEIPTS:
        tasks.dispatch_batch(batch.pk)
    assert set(Message.objects.filter(batch=batch).values_list("state", flat=True)) == {State.SUBMITTED}
    _age(batch, **age)
    return batch


def test_a_lost_receipt_is_asked_for_and_applied_once(account, sending_setup, settings):
    settings.SIMULATOR = {**settings.SIMULATOR, "delivery_ratio": 0.5}
    batch = _sent_with_lost_receipts(account, 6, minutes=11)
    report = pipeline_sweep.sweep()
    assert report["receipt_lookups"] == 1
    sim = SimulatorConnector(channel="sms")
    for status, code, supplier_id in Message.objects.filter(batch=batch).values_list(
        "status", "status_code", "supplier_message_id"
    ):
        assert (code, status) == sim.outcome_of(supplier_id)  # what the supplier's own receipt says
    assert set(Message.objects.filter(batch=batch).values_list("state", flat=True)) == {State.FINAL}
    assert _events(account) == Counter({f"{batch.uuid}:{i}": 1 for i in range(1, 7)})
    # Asking again, and the receipt arriving late after all, change nothing.
    assert pipeline_sweep.sweep(now=timezone.now() + timedelta(hours=1))["receipt_lookups"] == 0
    supplier_ids = list(Message.objects.filter(batch=batch).values_list("supplier_message_id", flat=True))
    tasks.simulate_receipts(supplier_ids)
    assert sum(_events(account).values()) == 6
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count() == 1


def test_a_receipt_not_yet_overdue_is_not_asked_for(account, sending_setup):
    batch = _sent_with_lost_receipts(account, minutes=9)
    assert pipeline_sweep.sweep()["receipt_lookups"] == 0
    assert _statuses(batch) == {(State.SUBMITTED, "AWAITING-DLR"): 3}


def test_a_message_past_the_receipt_timeout_is_no_longer_asked_about(account, sending_setup, settings):
    batch = _sent_with_lost_receipts(account, hours=settings.DLR_TIMEOUT_HOURS + 1)
    report = pipeline_sweep.sweep()
    assert report["receipt_lookups"] == 0 and report["timed_out"] == 3
    assert _statuses(batch) == {(State.SUBMITTED, "TIMEOUT-DLR"): 3}  # open: a late receipt still applies


class Patient:
    """A supplier that has no outcome yet for anything it is asked about; counts the questions."""

    questions = []

    def __init__(self, *, name, channel, rate, options):
        self.name, self.channel, self.rate = name, channel, rate

    def lookup(self, references):
        Patient.questions.extend(r.id for r in references)
        return [SupplierStatus(r.supplier_message_id) for r in references]


def test_a_slow_message_is_asked_about_again_only_after_waiting_as_long_again(account, sending_setup):
    connectors.register_kind("patient", Patient)
    Patient.questions = []
    batch = _batch(account, 1)
    start = timezone.now()
    Message.objects.filter(batch=batch).update(
        state=State.SUBMITTED,
        supplier="patient",
        supplier_message_id="p-1",
        dispatched_at=start - timedelta(minutes=30),
        updated_at=start - timedelta(minutes=29),
    )

    def asked(at):
        before = len(Patient.questions)
        lookups.check_receipts("patient", "sms", at.isoformat())
        if len(Patient.questions) == before:
            return False
        Message.objects.filter(batch=batch).update(updated_at=at)  # asked "at" that time, not now
        return True

    assert asked(start)  # 30 minutes after sending: asked, no answer yet
    assert not asked(start + timedelta(minutes=15))  # not again before it has waited 30 minutes more
    assert asked(start + timedelta(minutes=31))
    assert not asked(start + timedelta(minutes=80))  # next after another 61 minutes
    assert asked(start + timedelta(minutes=93))
    assert Message.objects.get(batch=batch).state == State.SUBMITTED


def test_messages_of_a_connector_that_cannot_be_asked_or_no_longer_exists_are_left_to_the_timeout(
    account, sending_setup
):
    batch = _sent_with_lost_receipts(account, minutes=11)
    Message.objects.filter(batch=batch).update(supplier="removed-connector")
    assert pipeline_sweep.sweep()["receipt_lookups"] == 0
    connectors.register_kind("dedup", Deduplicating)
    Message.objects.filter(batch=batch).update(supplier="dedup")  # takes messages, answers no questions
    assert pipeline_sweep.sweep()["receipt_lookups"] == 0
    assert lookups.check_receipts("dedup", "sms") == {"asked": 0, "moved": 0}
    assert _statuses(batch) == {(State.SUBMITTED, "AWAITING-DLR"): 3}


# -- the simulator's answers ------------------------------------------------------------------


def test_the_simulator_answers_what_it_holds_and_agrees_with_its_own_receipts(db, settings):
    settings.SIMULATOR = {"delivery_ratio": 0.5, "dlr_delay_seconds": 60, "seed": 1}
    sim = SimulatorConnector(channel="sms")
    SimulatedSubmission.objects.create(message_id=1, supplier_message_id="abc")
    SimulatedSubmission.objects.create(message_id=2, supplier_message_id="def")
    SimulatedSubmission.objects.filter(message_id=1).update(created_at=timezone.now() - timedelta(minutes=2))
    unknown, settled, on_its_way = sim.lookup([Reference(3), Reference(1), Reference(2)])
    assert unknown is None
    assert on_its_way == SupplierStatus("def")  # taken, still within the receipt delay
    code, status = sim.outcome_of("abc")
    assert settled == SupplierStatus("abc", status, code)
    assert sim.lookup([Reference(1)]) == [settled]  # a read: the same answer every time
    # Outcomes follow the delivery ratio and the channel's failure statuses.
    outcomes = Counter(sim.outcome_of(f"{n:032x}")[1] for n in range(2000))
    assert 800 < outcomes["DELIVRD"] < 1200 and set(outcomes) - {"DELIVRD"} <= {s for _, s in sim.failures}
