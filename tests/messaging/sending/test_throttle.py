"""The per-connector constant rate."""

from messaging.sending import throttle


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

    from messaging.sending import services, tasks
    from messaging.sending.models import Message, State
    from messaging.sending.services import Outgoing

    settings.CONNECTOR_RATES = {"simulator": 2}
    with mock.patch("messaging.sending.services._enqueue"):
        batch = services.submit(
            account=account,
            service_code="G",
            outgoing=[Outgoing(to=f"44740012345{i}", sender="AcmeUK", message="Hello there") for i in range(5)],
        ).batch
    now, slept, real_take = [5000.5], [], throttle.take

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    def take(connector, wanted):
        return real_take(connector, wanted, clock=lambda: now[0], sleep=sleep)

    with (
        mock.patch("messaging.sending.tasks.throttle.take", take),
        mock.patch("messaging.sending.connectors.simulator.SimulatorConnector.schedule_receipts"),
    ):
        tasks.dispatch_batch(batch.pk)
    assert Message.objects.filter(batch=batch, state=State.SUBMITTED).count() == 5
    assert len(slept) == 2  # 5 messages at 2 per second: three seconds


def test_bulk_and_urgent_traffic_use_separate_queues(account, sending_setup, django_capture_on_commit_callbacks):
    from unittest import mock

    from accounts.services import credits
    from messaging.sending import services
    from messaging.sending.services import Outgoing

    credits.top_up(account=account, amount="5000")
    with (
        mock.patch("messaging.sending.tasks.dispatch_batch.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.submit(
            account=account,
            service_code="G",
            outgoing=[Outgoing(to="447400123456", sender="AcmeUK", message="One")],
        )
        services.submit(
            account=account,
            service_code="G",
            outgoing=[Outgoing(to=f"4474001{i:05d}", sender="AcmeUK", message="Many") for i in range(1001)],
        )
    assert [c.kwargs["queue"] for c in send.call_args_list] == ["sms-high", "sms-bulk"]
