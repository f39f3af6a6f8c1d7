"""Scheduled sends are released when due and can be cancelled; the sweeper recovers lost work."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.services import credits
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline import sweep as pipeline_sweep
from messaging.pipeline.models import Message, State
from portal.core.errors import ValidationFailed

OTP = "Your OTP is 4821. Do not share it."


@pytest.fixture
def scheduled(account, sending_setup):
    at = timezone.now() + timedelta(hours=1)
    submission = services.submit(
        account=account,
        product_code="T",
        schedule=at,
        outgoing=[Outgoing(to="919876543210", sender="ACMEIN", message=OTP)],
    )
    return submission.batch


def test_scheduled_messages_are_paid_then_released_when_due(account, scheduled, django_capture_on_commit_callbacks):
    assert credits.balance(account) == Decimal("99.75")
    assert pipeline_sweep.release_due() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline_sweep.release_due(now=timezone.now() + timedelta(hours=2)) == 1
    message = Message.objects.get(batch=scheduled)
    assert message.state == State.FINAL and message.status == "DELIVRD"  # eager: dispatched and delivered
    assert pipeline_sweep.release_due(now=timezone.now() + timedelta(hours=2)) == 0


def test_a_scheduled_send_is_cancelled_and_refunded(account, scheduled):
    cancelled, refund = pipeline_sweep.cancel_scheduled(account=account, group_id=scheduled.uuid)
    assert (cancelled, refund) == (1, Decimal("0.25"))
    assert credits.balance(account) == Decimal("100")
    assert Message.objects.get(batch=scheduled).status == "DELETED"
    with pytest.raises(ValidationFailed):  # nothing left to cancel twice
        pipeline_sweep.cancel_scheduled(account=account, group_id="00000000-0000-0000-0000-000000000000")


def test_cancelling_too_late_or_someone_elses_is_refused(account, other_account, scheduled):
    with pytest.raises(ValidationFailed):
        pipeline_sweep.cancel_scheduled(account=other_account, group_id=scheduled.uuid)
    type(scheduled).objects.filter(pk=scheduled.pk).update(scheduled_at=timezone.now() + timedelta(minutes=3))
    with pytest.raises(ValidationFailed):
        pipeline_sweep.cancel_scheduled(account=account, group_id=scheduled.uuid)


def test_the_sweeper_redispatches_lost_work_and_flags_silent_suppliers(
    account, sending_setup, django_capture_on_commit_callbacks
):
    from unittest import mock

    with mock.patch("messaging.pipeline.submit.enqueue"):  # the dispatch task is "lost"
        services.submit(
            account=account, product_code="T", outgoing=[Outgoing(to="919876543210", sender="ACMEIN", message=OTP)]
        )
    message = Message.objects.get(account=account)
    assert message.state == State.QUEUED
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        result = pipeline_sweep.sweep()
    message.refresh_from_db()
    assert result["redispatched_batches"] == 1 and message.state == State.FINAL
    Message.objects.filter(pk=message.pk).update(
        state=State.SUBMITTED, status="AWAITING-DLR", dispatched_at=timezone.now() - timedelta(hours=100)
    )
    assert pipeline_sweep.sweep()["timed_out"] == 1
    message.refresh_from_db()
    assert message.status == "TIMEOUT-DLR" and message.state == State.SUBMITTED


def test_the_sweeper_resubmits_chunks_a_dead_worker_left_half_sent(account, sending_setup):
    from unittest import mock

    from messaging.pipeline.models import SimulatedSubmission

    with mock.patch("messaging.pipeline.submit.enqueue"):
        batch = services.submit(
            account=account, product_code="T", outgoing=[Outgoing(to="919876543210", sender="ACMEIN", message=OTP)]
        ).batch
    old = timezone.now() - timedelta(minutes=10)
    Message.objects.filter(batch=batch).update(state=State.SUBMITTING, supplier="simulator", dispatched_at=old)
    fresh = services.submit(
        account=account, product_code="T", outgoing=[Outgoing(to="919876543211", sender="ACMEIN", message=OTP)]
    ).batch
    Message.objects.filter(batch=fresh).update(
        state=State.SUBMITTING, supplier="simulator", dispatched_at=timezone.now()
    )
    with mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts"):
        report = pipeline_sweep.sweep()
    assert report["resubmitted_batches"] == 1
    assert Message.objects.get(batch=batch).state == State.SUBMITTED
    assert Message.objects.get(batch=fresh).state == State.SUBMITTING  # a worker may still be on it
    assert SimulatedSubmission.objects.count() == 1


class BlindConnector:
    """A supplier that neither deduplicates nor answers lookups (an SMPP bind)."""

    idempotent = False
    handed = []

    def __init__(self, *, name, channel, rate, options):
        self.name, self.channel, self.rate = name, channel, rate

    def submit(self, messages):
        BlindConnector.handed.extend(messages)
        return [f"blind-{m.pk}" for m in messages]


def test_a_connector_that_can_neither_be_asked_nor_deduplicates_is_never_resubmitted(account, sending_setup):
    from unittest import mock

    from messaging.pipeline import connectors, tasks

    connectors.register_kind("blind", BlindConnector)
    BlindConnector.handed = []
    with mock.patch("messaging.pipeline.submit.enqueue"):
        batch = services.submit(
            account=account, product_code="T", outgoing=[Outgoing(to="919876543210", sender="ACMEIN", message=OTP)]
        ).batch
    Message.objects.filter(batch=batch).update(
        state=State.SUBMITTING, supplier="blind", dispatched_at=timezone.now() - timedelta(hours=1)
    )
    assert tasks.resubmit_stuck(batch.pk, "blind") == 0
    assert Message.objects.get(batch=batch).state == State.SUBMITTING and BlindConnector.handed == []
    # A receipt lookup is not tried on it either.
    Message.objects.filter(batch=batch).update(state=State.SUBMITTED, updated_at=timezone.now() - timedelta(hours=1))
    assert pipeline_sweep.sweep()["receipt_lookups"] == 0


def test_old_simulator_records_are_pruned_once_no_lookup_can_come(db, settings):
    from messaging.pipeline.models import SimulatedSubmission

    SimulatedSubmission.objects.create(message_id=1, supplier_message_id="a")
    SimulatedSubmission.objects.create(message_id=2, supplier_message_id="b")
    SimulatedSubmission.objects.create(message_id=3, supplier_message_id="c")
    SimulatedSubmission.objects.filter(message_id=1).update(
        created_at=timezone.now() - timedelta(hours=settings.DLR_TIMEOUT_HOURS, minutes=1)
    )
    SimulatedSubmission.objects.filter(message_id=2).update(created_at=timezone.now() - timedelta(hours=2))
    pipeline_sweep.sweep()
    assert sorted(SimulatedSubmission.objects.values_list("message_id", flat=True)) == [2, 3]
