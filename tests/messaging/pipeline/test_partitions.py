"""The message table by month (PostgreSQL) and retention by whole month (every database):
partitions created ahead, stray rows moved into their month, whole old months dropped while
rollups stay, bodies blanked sooner, queries unchanged, and the migration on existing rows."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from messaging.pipeline import partitions, retention
from messaging.pipeline.models import Message, RefusedNumbers, RetentionRun
from messaging.reports import rollups
from messaging.reports.models import MessageRollup
from tests.messaging.reports.pipeline_steps import at, dispatch, send, senders_and_prices

pg_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="partitions are PostgreSQL's")

NOW = datetime(2027, 6, 15, 12, 0, tzinfo=UTC)
MONTHS = [datetime(2027, m, 10, 9, 0, tzinfo=UTC) for m in (1, 2, 3, 4, 5, 6)]  # one send in each


@pytest.fixture
def sending_setup(account, settings):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    return senders_and_prices(account)


@pytest.fixture
def history(account, sending_setup):
    """Three messages sent on the 10th of each month from January to June 2027, dispatched."""
    batches = []
    for when in MONTHS:
        with at(when):
            partitions.ensure(when, ahead=0)
        batch = send(account, when, 3, uk=True)
        dispatch(batch, when + timedelta(minutes=1), refuse=False)
        batches.append(batch)
    return batches


def rollup_totals(account):
    return sorted(
        MessageRollup.objects.filter(account=account).values_list("hour", "status", "messages", "cost", "units")
    )


def table_of(message_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM sending_message WHERE id = %s", [message_id])
        return cursor.fetchone()[0]


@pg_only
@pytest.mark.django_db
def test_the_table_is_partitioned_with_the_partition_key_in_every_unique_constraint():
    assert partitions.supported()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'sending_message'::regclass AND contype IN ('p', 'u') ORDER BY conname"
        )
        keys = dict(cursor.fetchall())
    assert keys == {
        "sending_message_pkey": "PRIMARY KEY (id, submitted_at)",
        "uniq_message_index": "UNIQUE (batch_id, index, submitted_at)",
    }
    names = [p.name for p in partitions.partitions()]
    this_month = partitions.month_start(datetime.now(UTC))
    assert partitions.name_of(this_month) in names and names[-1] == partitions.DEFAULT


@pg_only
@pytest.mark.django_db
def test_months_are_created_ahead_once():
    created = partitions.ensure(NOW, ahead=2)
    assert created == ["sending_message_p2027_06", "sending_message_p2027_07", "sending_message_p2027_08"]
    assert partitions.ensure(NOW, ahead=2) == []
    bounds = {p.name: (p.start, p.end) for p in partitions.partitions()}
    assert bounds["sending_message_p2027_08"] == (datetime(2027, 8, 1, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC))


@pg_only
@pytest.mark.django_db
def test_the_beat_task_creates_the_months_ahead(settings):
    from messaging.pipeline import tasks

    settings.MESSAGE_PARTITIONS_AHEAD = 5
    with at(datetime.now(UTC)):
        tasks.ensure_message_partitions()
    starts = {p.start for p in partitions.partitions() if not p.is_default}
    month = partitions.month_start(datetime.now(UTC))
    for _ in range(6):
        assert month in starts
        month = partitions.next_month(month)


@pg_only
@pytest.mark.django_db
def test_rows_outside_every_month_wait_in_the_default_partition_and_move_to_their_month(account, sending_setup):
    when = datetime(2030, 3, 3, 8, tzinfo=UTC)
    batch = send(account, when, 2, uk=True)
    ids = sorted(batch.messages.values_list("id", flat=True))
    assert {table_of(i) for i in ids} == {partitions.DEFAULT}
    assert partitions.default_rows() == 2
    assert "sending_message_p2030_03" in partitions.ensure(ahead=0)
    assert {table_of(i) for i in ids} == {"sending_message_p2030_03"}
    assert partitions.default_rows() == 0
    assert sorted(batch.messages.values_list("id", flat=True)) == ids  # the same rows, found the same way


@pg_only
@pytest.mark.django_db
def test_queries_find_messages_in_every_month(account, history):
    """Lookups by id, batch, supplier id and account range, and a late receipt, reach rows of
    months long past as well as this one."""
    from messaging.channels.sms import sending

    assert {table_of(m.id) for m in Message.objects.filter(batch=history[0])} == {"sending_message_p2027_01"}
    first = Message.objects.filter(batch=history[0]).order_by("index").first()
    assert Message.objects.get(pk=first.pk).batch_id == history[0].pk
    assert Message.objects.filter(account=account, submitted_at__gte=MONTHS[2], submitted_at__lt=MONTHS[4]).count() == 6
    with at(NOW):
        moved = sending.apply_dlrs(supplier="simulator", receipts=[(first.supplier_message_id, "DELIVRD", "000")])
    assert moved == 1
    first.refresh_from_db()
    assert first.status == "DELIVRD" and first.delivered_at == NOW
    assert rollups.differences(rollups.recount(), rollups.stored()) == []


@pytest.mark.django_db
def test_retention_drops_only_whole_months_older_than_it_and_keeps_rollups(account, history, settings):
    settings.MESSAGE_RETENTION_DAYS = 100  # NOW - 100 days = 2027-03-07: January and February go
    before = rollup_totals(account)
    RefusedNumbers.objects.create(
        batch=history[0], account=account, status="INV-NUMBER", sender="AcmeUK", product_code="G", units=1,
        length=5, submitted_at=MONTHS[0], first_index=4, last_index=4, count=1, indexes=[4], mobiles=["12"],
    )  # fmt: skip
    upcoming = retention.plan(NOW)
    # (On PostgreSQL, months the migration made before January, empty, go too.)
    assert [m.start for m in upcoming.months][-2:] == [
        datetime(2027, 1, 1, tzinfo=UTC),
        datetime(2027, 2, 1, tzinfo=UTC),
    ]
    assert all(m.end <= datetime(2027, 3, 1, tzinfo=UTC) for m in upcoming.months)
    with at(NOW):
        _, done = retention.run(NOW)
    assert [(r.before, r.rows) for r in done][-2:] == [
        (datetime(2027, 2, 1, tzinfo=UTC), 3),
        (datetime(2027, 3, 1, tzinfo=UTC), 3),
    ]
    left = Message.objects.filter(account=account)
    assert left.count() == 12 and min(left.values_list("submitted_at", flat=True)) == MONTHS[2]
    assert set(left.values_list("batch_id", flat=True)) == {b.pk for b in history[2:]}
    assert not RefusedNumbers.objects.exists()
    assert rollup_totals(account) == before  # every month's figures, the dropped ones included
    assert retention.horizon() == datetime(2027, 3, 1, tzinfo=UTC)
    if partitions.supported():
        names = {p.name for p in partitions.partitions()}
        assert "sending_message_p2027_01" not in names and "sending_message_p2027_02" not in names
        assert "sending_message_p2027_03" in names
    # Rebuilding or checking everything leaves the dropped months' rollups alone.
    call_command("rebuild_rollups", "--since", "2026-12-01", "--until", "2027-07-01")
    assert rollup_totals(account) == before
    assert rollups.compare(start=datetime(2026, 12, 1, tzinfo=UTC), end=NOW)[1] == []
    # Nothing more to drop until another month passes the retention.
    with at(NOW):
        assert retention.run(NOW)[1] == []


@pytest.mark.django_db
def test_bodies_are_blanked_sooner_and_only_once(account, history, settings):
    settings.MESSAGE_BODY_RETENTION_DAYS = 60  # before 2027-04-16 12:00
    with at(NOW):
        _, done = retention.run(NOW)
    assert [(r.kind, r.rows) for r in done] == [("bodies", 12)]
    old = Message.objects.filter(submitted_at__lt=NOW - timedelta(days=60))
    recent = Message.objects.filter(submitted_at__gte=NOW - timedelta(days=60))
    assert set(old.values_list("text", flat=True)) == {""} and old.count() == 12
    assert set(recent.values_list("text", flat=True)) == {"Hello there"} and recent.count() == 6
    assert Message.objects.count() == 18  # rows stay; only their text went
    later = NOW + timedelta(days=40)  # May's send is now older than 60 days too
    with at(later):
        _, done = retention.run(later)
    assert [(r.kind, r.rows, r.since) for r in done] == [("bodies", 3, NOW - timedelta(days=60))]


@pytest.mark.django_db
def test_retention_is_off_by_default_and_a_dry_run_changes_nothing(account, history, settings, capsys):
    with at(NOW):
        assert retention.run(NOW) == (retention.plan(NOW), [])
    settings.MESSAGE_RETENTION_DAYS = 100
    with at(NOW):
        call_command("message_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "would drop 2027-01" in out and "would drop 2027-02" in out
    assert Message.objects.count() == 18 and not RetentionRun.objects.exists()
    with at(NOW):
        call_command("message_retention")
    assert "dropped 2027-01" in capsys.readouterr().out
    assert Message.objects.count() == 12


@pytest.mark.django_db
def test_a_retention_shorter_than_the_settling_and_check_windows_is_refused(settings):
    settings.MESSAGE_RETENTION_DAYS = 5
    with pytest.raises(CommandError, match="at least 8 days"):
        call_command("message_retention")
    assert not RetentionRun.objects.exists()


@pytest.mark.django_db
def test_staff_see_partitions_sizes_and_the_next_drop(client, account, history, settings):
    from accounts.models import User

    settings.MESSAGE_RETENTION_DAYS = 100
    with at(NOW):  # the session is opened "now" too, or it would have expired by then
        client.force_login(User.objects.create_user(email="ops@example.com", password="x-Pass-123456", is_staff=True))
        page = client.get("/staff/messages/partitions/")
        months = len(retention.plan(NOW).months)
    assert page.status_code == 200
    body = page.content.decode()
    assert f"{months} months" in body and "submitted before 2027-03-01" in body
    if partitions.supported():
        assert "sending_message_p2027_01" in body and body.count(">Dropped<") == months
    settings.MESSAGE_RETENTION_DAYS = 3
    with at(NOW):
        assert "Retention stopped" in client.get("/staff/messages/partitions/").content.decode()


@pytest.mark.django_db
def test_customers_do_not_see_the_staff_page(user_client):
    assert user_client.get("/staff/messages/partitions/").status_code in (302, 403, 404)


@pg_only
@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_populated_table_and_back(product_rows, account, sending_setup):
    """Rows written before the migration survive it with their ids, land in their month, and the
    ids go on after the old highest; the reverse gives the plain table back with the same rows."""
    from django.db.migrations.executor import MigrationExecutor

    batch = send(account, datetime(2026, 9, 5, tzinfo=UTC), 3, uk=True)
    other = send(account, datetime.now(UTC), 2, uk=True)
    Message.objects.filter(batch=batch, index=2).update(text="kept", charges=Decimal("1.5"))

    def snapshot():
        return sorted(Message.objects.values_list("id", "batch_id", "index", "submitted_at", "text", "charges"))

    rows = snapshot()
    executor = MigrationExecutor(connection)
    executor.migrate([("sending", "0009_batch_created_at_is_submit_time")])
    assert not partitions.supported()
    assert snapshot() == rows
    MigrationExecutor(connection).migrate([("sending", "0012_merge_0011_message_operator_0011_retention_runs")])
    assert partitions.supported()
    assert snapshot() == rows
    assert {table_of(i) for i in batch.messages.values_list("id", flat=True)} == {"sending_message_p2026_09"}
    assert {table_of(i) for i in other.messages.values_list("id", flat=True)} == {
        partitions.name_of(partitions.month_start(datetime.now(UTC)))
    }
    newer = send(account, datetime.now(UTC), 1, uk=False)
    assert newer.messages.get().id > max(r[0] for r in rows)
    # A batch's rows share its submit time, so (batch, index) stays unique with the key added.
    columns = ", ".join(f.column for f in Message._meta.concrete_fields if not f.primary_key)
    with pytest.raises(Exception, match=r"\(batch_id, index, submitted_at\)"), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO sending_message ({columns}) "  # noqa: S608 - the model's column names
            f"SELECT {columns} FROM sending_message WHERE batch_id = %s AND index = 1",
            [batch.pk],
        )


@pytest.mark.django_db
def test_sqlite_keeps_one_table():
    """Without PostgreSQL nothing is partitioned and every partition function is a no-op."""
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert not partitions.supported()
    assert partitions.partitions() == [] and partitions.ensure() == [] and partitions.default_rows() == 0
