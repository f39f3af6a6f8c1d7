"""Scheduled reports: next run at 06:00 local time, the reported period, e-mail with the export
attached, one run per due time, the page."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from messaging.reports import schedules
from messaging.reports.models import Frequency, ScheduledReport
from messaging.reports.rollups import zone
from tests.messaging.reports.pipeline_steps import send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_next_run_and_period_in_local_time():
    after = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # a Thursday; 06:30 in Kolkata
    assert schedules.next_run(Frequency.DAILY, "Asia/Kolkata", after) == datetime(2026, 12, 4, 0, 30, tzinfo=UTC)
    assert schedules.next_run(Frequency.WEEKLY, "UTC", after) == datetime(2026, 12, 7, 6, tzinfo=UTC)
    assert schedules.next_run(Frequency.MONTHLY, "UTC", after) == datetime(2027, 1, 1, 6, tzinfo=UTC)
    assert schedules.period_of(Frequency.DAILY, date(2026, 12, 3)) == (date(2026, 12, 2), date(2026, 12, 2))
    assert schedules.period_of(Frequency.WEEKLY, date(2026, 12, 7)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert schedules.period_of(Frequency.MONTHLY, date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))


def test_a_due_schedule_mails_yesterdays_report_once(account, owner, sending_setup):
    yesterday = timezone.now() - timedelta(days=1)
    send(account, yesterday.replace(hour=12), 3, uk=True)
    send(account, timezone.now(), 2, uk=True)  # today's: not in a daily report
    schedule = schedules.create(
        account,
        user=owner,
        name="Daily UK",
        frequency=Frequency.DAILY,
        fmt="csv",
        filters={"iso": "GB"},
        recipients=["ops@example.com"],
    )
    ScheduledReport.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now() - timedelta(minutes=1))
    assert schedules.run_due() == 1
    assert schedules.run_due() == 0  # moved on to tomorrow's 06:00
    message = mail.outbox[-1]
    assert message.to == ["ops@example.com"] and "3 messages" in message.body
    name, content, kind = message.attachments[0]
    assert kind == "text/csv" and content.count("\n") == 4  # header + 3 rows
    pdf_name, pdf, pdf_kind = message.attachments[1]
    assert pdf_kind == "application/pdf" and pdf_name.startswith("summary-") and pdf_name.endswith(".pdf")
    text = _pdf_text(pdf)
    assert "Daily UK: summary" in text and "Covers iso: GB." in text
    assert "Messages" in text and "Delivered" in text and "Per day" in text
    day = (timezone.now() - timedelta(days=1)).astimezone(zone(account.time_zone)).date()
    assert f"{day:%Y-%m-%d}" in text
    totals = _row_after(text, "Refunds")
    assert totals.split()[0] == "3"  # the three UK messages of yesterday, not today's two
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() and schedule.last_export.rows == 3


def _pdf_text(data):
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _row_after(text, header_end):
    lines = text.splitlines()
    return next(lines[i + 1] for i, line in enumerate(lines) if line.rstrip().endswith(header_end))


def test_a_schedule_can_leave_the_summary_out(account, owner, sending_setup):
    schedule = schedules.create(
        account, user=owner, name="Rows only", frequency=Frequency.DAILY, fmt="xlsx", filters={},
        recipients=["ops@example.com"], pdf_summary=False,
    )  # fmt: skip
    ScheduledReport.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now() - timedelta(minutes=1))
    assert schedules.run_due() == 1
    assert [kind for *_, kind in mail.outbox[-1].attachments] == [schedules._content_type("xlsx")]


def test_summary_pdf_page_and_tenant_isolation(user_client, account, owner, other_account, sending_setup):
    send(account, timezone.now() - timedelta(days=1), 2, uk=False)
    mine = schedules.create(
        account, user=owner, name="Daily all", frequency=Frequency.DAILY, fmt="csv", filters={"outcome": "failed"},
        recipients=["ops@example.com"],
    )  # fmt: skip
    res = user_client.get(reverse("reports:schedule_summary", args=[mine.uuid]))
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    text = _pdf_text(res.content)
    assert "Daily all: summary" in text and "Covers all messages." in text
    assert "also filtered by outcome" in text  # the rows' outcome filter is not a rollup dimension
    assert _row_after(text, "Refunds").split()[0] == "2"
    theirs = schedules.create(
        other_account, user=None, name="Theirs", frequency=Frequency.DAILY, fmt="csv", filters={},
        recipients=["x@example.com"],
    )  # fmt: skip
    assert user_client.get(reverse("reports:schedule_summary", args=[theirs.uuid])).status_code == 404
    assert "summary.pdf" in user_client.get(reverse("reports:schedules")).content.decode()


def test_schedule_page(user_client, account):
    url = reverse("reports:schedules")
    bad = user_client.post(url, {"name": "x", "frequency": "daily", "format": "csv", "recipients": "nope"})
    assert bad.status_code == 422 and "not an e-mail address" in bad.content.decode()
    ok = user_client.post(
        url, {"name": "Weekly", "frequency": "weekly", "format": "xlsx", "recipients": "a@example.com, b@example.com"}
    )
    assert ok.status_code == 302
    schedule = ScheduledReport.objects.get(account=account)
    assert schedule.recipients == ["a@example.com", "b@example.com"]
    assert "Weekly" in user_client.get(url).content.decode()
    user_client.post(reverse("reports:schedule_delete", args=[schedule.uuid]))
    assert not ScheduledReport.objects.exists()
