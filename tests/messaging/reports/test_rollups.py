"""Rollups equal a recount of the messages after any sequence of sends, dispatches (with
supplier refusals), receipts (late, repeated, out of order), cancellations and timeouts."""

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.channels.sms import sending
from messaging.pipeline import sweep
from messaging.pipeline.models import Batch, Message
from messaging.reports import rollups
from messaging.reports.models import MessageRollup
from portal.core.errors import ValidationFailed
from tests.messaging.reports.pipeline_steps import START, ZONES, at, dispatch, receipts, send


class Rollback(Exception):
    pass


def assert_rollups_equal_recount():
    differences = rollups.differences(rollups.recount(), rollups.stored())
    assert differences == []


steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(1, 6), st.booleans(), st.booleans()),
        st.tuples(st.just("dispatch"), st.integers(0, 20), st.booleans()),
        st.tuples(
            st.just("receipts"),
            st.lists(st.tuples(st.integers(0, 50), st.integers(0, 3)), min_size=1, max_size=8),
            st.integers(0, 80 * 3600),
        ),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("timeout")),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, zone=st.sampled_from(ZONES))
def test_rollups_equal_a_recount_after_any_sequence(account, sending_setup, steps, zone):
    try:
        with transaction.atomic():
            account.time_zone = zone
            account.save(update_fields=["time_zone"])
            batches, clock = [], START
            for step in steps:
                clock += timedelta(minutes=37)  # steps walk across hours (and the DST change)
                kind = step[0]
                if kind == "send":
                    _, count, uk, scheduled = step
                    schedule = clock + timedelta(hours=2) if scheduled else None
                    batches.append(send(account, clock, count, uk=uk, schedule=schedule))
                elif kind == "dispatch" and batches:
                    dispatch(batches[step[1] % len(batches)], clock, refuse=step[2])
                elif kind == "receipts":
                    # A receipt may arrive hours late; the same message may get several.
                    receipts(step[1], clock + timedelta(seconds=step[2]))
                elif kind == "cancel" and batches:
                    batch = batches[step[1] % len(batches)]
                    if batch.scheduled_at:
                        with at(clock), contextlib.suppress(ValidationFailed):  # too late to cancel: fine
                            sweep.cancel_scheduled(account=account, group_id=batch.uuid)
                elif kind == "timeout":
                    sweep.sweep(now=clock + timedelta(days=3))
                assert_rollups_equal_recount()
            raise Rollback
    except Rollback:
        pass


def test_counts_follow_a_message_to_its_outcome(account, sending_setup):
    batch = send(account, START, 4, uk=True)
    dispatch(batch, START + timedelta(seconds=1), refuse=True)  # index 3 refused and refunded
    ids = dict(Message.objects.filter(batch=batch).values_list("index", "supplier_message_id"))
    later = START + timedelta(seconds=20)
    sending.apply_dlrs(
        supplier="simulator", receipts=[(ids[1], "DELIVRD", "000"), (ids[2], "UNDELIV", "034")], delivered_at=later
    )
    sending.apply_dlrs(supplier="simulator", receipts=[(ids[1], "UNDELIV", "034")], delivered_at=later)  # too late
    rows = {r.status: r for r in MessageRollup.objects.filter(account=account)}
    assert {s: (r.messages, r.pending) for s, r in rows.items()} == {
        "AWAITING-DLR": (1, True),
        "DELIVRD": (1, False),
        "UNDELIV": (1, False),
        "REJECTED": (1, False),
    }
    assert rows["REJECTED"].refunds == Decimal("2") and rows["REJECTED"].cost == Decimal("2")
    assert rows["DELIVRD"].latency_2 == 1  # 19 s: the 10-30 s bucket
    assert rows["AWAITING-DLR"].hour == START.replace(minute=0)
    assert_rollups_equal_recount()


def test_local_hours_across_daylight_saving_and_half_hour_zones():
    ny = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 5, 20, tzinfo=UTC)  # 01:20 EDT
    second = datetime(2026, 11, 1, 6, 20, tzinfo=UTC)  # 01:20 EST, the repeated hour
    assert rollups.local_hour(first, ny) == (datetime(2026, 11, 1, 5, tzinfo=UTC), date(2026, 11, 1))
    assert rollups.local_hour(second, ny) == (datetime(2026, 11, 1, 6, tzinfo=UTC), date(2026, 11, 1))
    kolkata = ZoneInfo("Asia/Kolkata")  # +05:30: local hours begin at half past in UTC
    assert rollups.local_hour(datetime(2026, 3, 1, 18, 40, tzinfo=UTC), kolkata) == (
        datetime(2026, 3, 1, 18, 30, tzinfo=UTC),
        date(2026, 3, 2),
    )
    spring = datetime(2026, 3, 8, 7, 5, tzinfo=UTC)  # 03:05 EDT, just after 02:00 was skipped
    assert rollups.local_hour(spring, ny)[0] == datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_the_two_repeated_hours_of_a_dst_change_are_separate_buckets(account, sending_setup):
    account.time_zone = "America/New_York"
    account.save()
    send(account, datetime(2026, 11, 1, 5, 20, tzinfo=UTC), 2, uk=True)
    send(account, datetime(2026, 11, 1, 6, 20, tzinfo=UTC), 3, uk=True)
    rows = sorted(MessageRollup.objects.filter(account=account).values_list("hour", "day", "messages"))
    assert rows == [
        (datetime(2026, 11, 1, 5, tzinfo=UTC), date(2026, 11, 1), 2),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), date(2026, 11, 1), 3),
    ]


def test_rebuild_command_restores_a_damaged_range(account, sending_setup, capsys):
    send(account, START, 3, uk=True)
    send(account, START + timedelta(hours=5), 2, uk=False)
    MessageRollup.objects.filter(account=account).update(messages=99)
    MessageRollup.objects.filter(account=account, hour__gte=START + timedelta(hours=4)).delete()
    assert len(rollups.compare()[1]) == 2
    call_command("rebuild_rollups", "--since", "2026-10-31", "--until", "2026-11-02")
    assert rollups.compare()[1] == []
    assert "rollup rows" in capsys.readouterr().out


def test_scheduled_check_alerts_on_a_difference(account, sending_setup, caplog):
    from messaging.reports import tasks as report_tasks
    from messaging.reports.models import RollupCheck

    now = datetime.now(UTC)
    send(account, now - timedelta(hours=1), 2, uk=True)
    assert report_tasks.check_rollups()["differences"] == 0
    MessageRollup.objects.filter(account=account).update(units=7)
    with caplog.at_level("ERROR"):
        result = report_tasks.check_rollups()
    assert result["differences"] == 1
    check = RollupCheck.objects.first()
    assert check.difference_count == 1 and check.differences[0]["expected"]["units"] == 2
    assert "differ from a recount" in caplog.text


def test_recipients_refused_before_pricing_are_counted_without_rows(account, sending_setup, monkeypatch):
    from unittest import mock

    from messaging.channels.sms.sending import Outgoing
    from messaging.pipeline.models import RefusedNumbers
    from messaging.reports import campaigns

    monkeypatch.setattr(RefusedNumbers, "CHUNK", 2)  # several records per reason
    numbers = ["919876500001", "x1", "447400100001", "x2", "447400100002", "x3", "919876500001"]
    outgoing = [Outgoing(to=n, sender="ACMEIN", message="Your OTP is 12. Do not share it.") for n in numbers]
    with at(START), mock.patch("messaging.pipeline.submit.enqueue"):
        batch = sending.submit(account=account, product_code="T", outgoing=outgoing).batch
    assert Message.objects.filter(batch=batch).count() == 2  # the Indian number, then its duplicate
    rows = {(r.status, r.iso): (r.messages, r.pending, r.cost) for r in MessageRollup.objects.filter(account=account)}
    assert rows == {
        ("AWAITING-DLR", "IN"): (1, True, Decimal("0.25")),
        ("DUPLICATE", "IN"): (1, False, Decimal("0")),
        ("INV-NUMBER", ""): (3, False, Decimal("0")),
        ("NOTALLOWED", "GB"): (2, False, Decimal("0")),
    }
    assert_rollups_equal_recount()
    MessageRollup.objects.filter(account=account, status="INV-NUMBER").delete()
    assert len(rollups.compare()[1]) == 1  # a recount sees the refused numbers too
    rollups.rebuild()
    assert_rollups_equal_recount()
    assert campaigns.unique_recipients(batch) == 6
    # Counted at accept time, equal to a count over the stored rows and refused records.
    assert Batch.objects.get(pk=batch.pk).unique_recipients == 6 == campaigns._count_distinct(batch)
    # A batch from before the count was kept is counted once and the figure stored.
    Batch.objects.filter(pk=batch.pk).update(unique_recipients=None)
    legacy = Batch.objects.get(pk=batch.pk)
    assert campaigns.unique_recipients(legacy) == 6
    assert Batch.objects.get(pk=batch.pk).unique_recipients == 6


@pytest.mark.parametrize("name", ["channel", "product_code", "sender", "template_id", "iso", "status", "status_code"])
def test_a_rollup_column_holds_every_value_its_message_column_can(name):
    # A WhatsApp refusal's six-digit code (131047) overflowed a four-character status_code: every
    # WhatsApp send with a refused recipient was a 500 once its counts were written.
    from messaging.pipeline.models import Message
    from messaging.reports.models import MessageRollup

    assert MessageRollup._meta.get_field(name).max_length >= Message._meta.get_field(name).max_length
