"""The per-connector constant rate."""

import pytest

from messaging.pipeline import throttle


def test_a_second_never_carries_more_than_the_rate(settings):
    settings.CONNECTOR_RATES = {"test": 10}
    now = [1000.2]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    assert throttle.take("test", 6, clock=lambda: now[0], sleep=sleep) == 6
    assert throttle.take("test", 6, clock=lambda: now[0], sleep=sleep) == 4  # only 4 left this second
    assert slept == []
    assert throttle.take("test", 6, clock=lambda: now[0], sleep=sleep) == 6  # waited for the next second
    assert len(slept) == 1 and int(now[0]) == 1001


def test_dispatch_follows_the_rate(account, sending_setup, settings, django_capture_on_commit_callbacks):
    from unittest import mock

    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing
    from messaging.pipeline import tasks
    from messaging.pipeline.models import Message, State

    settings.CONNECTOR_RATES = {"simulator": 2}
    with mock.patch("messaging.pipeline.submit.enqueue"):
        batch = services.submit(
            account=account,
            product_code="G",
            outgoing=[Outgoing(to=f"44740012345{i}", sender="AcmeUK", message="Hello there") for i in range(5)],
        ).batch
    now, slept, real_take = [5000.5], [], throttle.take

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    def take(connector, wanted, bulk=False):
        return real_take(connector, wanted, bulk=bulk, clock=lambda: now[0], sleep=sleep)

    with (
        mock.patch("messaging.pipeline.dispatch.throttle.take", take),
        mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts"),
    ):
        tasks.dispatch_batch(batch.pk)
    assert Message.objects.filter(batch=batch, state=State.SUBMITTED).count() == 5
    assert len(slept) == 2  # 5 messages at 2 per second: three seconds


def test_bulk_and_urgent_traffic_use_separate_queues(account, sending_setup, django_capture_on_commit_callbacks):
    from unittest import mock

    from accounts.services import credits
    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing

    credits.top_up(account=account, amount="5000")
    with (
        mock.patch("messaging.pipeline.tasks.dispatch_batch.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.submit(
            account=account,
            product_code="G",
            outgoing=[Outgoing(to="447400123456", sender="AcmeUK", message="One")],
        )
        services.submit(
            account=account,
            product_code="G",
            outgoing=[Outgoing(to=f"4474001{i:05d}", sender="AcmeUK", message="Many") for i in range(1001)],
        )
    assert [c.kwargs["queue"] for c in send.call_args_list] == ["sms-high", "sms-bulk"]


def test_bulk_traffic_leaves_the_reserve_for_urgent_sends(settings):
    settings.CONNECTOR_RATES = {"test": 10}
    settings.CONNECTOR_URGENT_RESERVE = 0.2
    now = [2000.1]

    def sleep(seconds):
        now[0] += seconds

    clock = lambda: now[0]  # noqa: E731
    assert throttle.take("test", 100, bulk=True, clock=clock, sleep=sleep) == 8  # a campaign fills its share
    assert throttle.take("test", 5, clock=clock, sleep=sleep) == 2  # an OTP still goes out this second
    assert int(now[0]) == 2000
    assert throttle.take("test", 100, bulk=True, clock=clock, sleep=sleep) == 8  # the campaign waits a second
    assert int(now[0]) == 2001


def test_a_draining_campaign_does_not_delay_a_push(account, sending_setup, settings):
    """Dispatch of a big promotional batch and an urgent one, interleaved second by second."""
    from unittest import mock

    from accounts.services import credits
    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing
    from messaging.pipeline import dispatch, tasks
    from messaging.pipeline.models import Message, State

    settings.CONNECTOR_RATES = {"simulator": 10}
    credits.top_up(account=account, amount="5000")
    with mock.patch("messaging.pipeline.submit.enqueue"):
        campaign = services.submit(
            account=account,
            product_code="G",
            outgoing=[Outgoing(to=f"4474001{i:05d}", sender="AcmeUK", message="Sale") for i in range(1001)],
        ).batch
        otp = services.submit(
            account=account, product_code="G", outgoing=[Outgoing(to="447400999999", sender="AcmeUK", message="1234")]
        ).batch
    now, real_take = [7000.0], throttle.take
    pushed_at = []

    def sleep(seconds):
        now[0] += seconds
        if len(pushed_at) == 0 and now[0] >= 7003:  # the push arrives while the campaign drains
            tasks.dispatch_batch(otp.pk)
            pushed_at.append(now[0])

    def take(connector, wanted, bulk=False):
        return real_take(connector, wanted, bulk=bulk, clock=lambda: now[0], sleep=sleep)

    with (
        mock.patch("messaging.pipeline.dispatch.throttle.take", take),
        mock.patch("messaging.pipeline.dispatch.CHUNK", 20),
        mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts"),
        mock.patch("messaging.pipeline.tasks.dispatch_batch.apply_async"),
    ):
        # Drain part of the campaign: stop once the push has been handed over.
        def submitted():
            return Message.objects.filter(batch=otp, state=State.SUBMITTED).exists()

        real_submit_chunk = dispatch.submit_chunk

        def submit_chunk(conn, batch_id, messages):
            real_submit_chunk(conn, batch_id, messages)
            if batch_id == campaign.pk and submitted() and now[0] > pushed_at[0] + 2:
                raise StopIteration

        with mock.patch("messaging.pipeline.dispatch.submit_chunk", submit_chunk), pytest.raises(StopIteration):
            tasks.dispatch_batch(campaign.pk)
    assert submitted() and int(pushed_at[0]) == 7003  # went out in the second it arrived
    sent = Message.objects.filter(batch=campaign, state=State.SUBMITTED).count()
    assert sent <= 8 * (int(now[0]) - 7000 + 1)  # the campaign never took more than its 80 %
