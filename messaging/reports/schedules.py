"""Scheduled reports: the delivery report of the last day, week or month (the account's local
calendar), exported and e-mailed to the schedule's recipients at 06:00 local time, with a PDF
summary of the same period (from the rollups) unless the schedule turned it off."""

import calendar
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.brands.resolve import brand_for_account
from messaging.reports import exports, pdf_summary
from messaging.reports.models import ExportJob, ExportStatus, Frequency, ScheduledReport
from messaging.reports.rollups import zone

RUN_AT = time(6, 0)
ATTACH_UP_TO = 10 * 1024 * 1024  # bigger files are linked, not attached


def next_run(frequency, tz_name, after):
    """The first 06:00 local time after `after` that the frequency runs on."""
    tz = zone(tz_name)
    local = after.astimezone(tz)
    day = local.date()
    while True:
        candidate = datetime.combine(day, RUN_AT, tz)
        if candidate > after and (
            frequency == Frequency.DAILY
            or (frequency == Frequency.WEEKLY and day.weekday() == 0)
            or (frequency == Frequency.MONTHLY and day.day == 1)
        ):
            return candidate
        day += timedelta(days=1)


def period_of(frequency, run_day):
    """(first, last) local dates a run on `run_day` reports."""
    last = run_day - timedelta(days=1)
    if frequency == Frequency.DAILY:
        return last, last
    if frequency == Frequency.WEEKLY:
        return run_day - timedelta(days=7), last
    first = last.replace(day=1)
    return first, last.replace(day=calendar.monthrange(last.year, last.month)[1])


def create(account, *, user, name, frequency, fmt, filters, recipients, pdf_summary=True, now=None):
    now = now or timezone.now()
    return ScheduledReport.objects.create(
        account=account,
        created_by=user,
        name=name,
        frequency=frequency,
        format=fmt,
        filters=filters,
        recipients=recipients,
        pdf_summary=pdf_summary,
        next_run_at=next_run(frequency, account.time_zone, now),
    )


def run_due(now=None):
    """Run every schedule that is due (beat calls this every few minutes); each claims its run
    by moving `next_run_at` on first, so two workers never send one twice."""
    now = now or timezone.now()
    sent = 0
    for schedule_id in ScheduledReport.objects.filter(next_run_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            schedule = (
                ScheduledReport.objects.select_for_update(skip_locked=True)
                .select_related("account")
                .filter(pk=schedule_id, next_run_at__lte=now)
                .first()
            )
            if schedule is None:
                continue
            run_day = schedule.next_run_at.astimezone(zone(schedule.account.time_zone)).date()
            schedule.last_run_at = now
            schedule.next_run_at = next_run(schedule.frequency, schedule.account.time_zone, now)
            schedule.save(update_fields=["last_run_at", "next_run_at"])
        sent += run(schedule, run_day)
    return sent


def run(schedule, run_day):
    first, last = period_of(schedule.frequency, run_day)
    query = {**schedule.filters, "since": first.isoformat(), "until": last.isoformat()}
    job = ExportJob.objects.create(
        account=schedule.account,
        created_by=schedule.created_by,
        format=schedule.format,
        filters=query,
        request_hash=f"schedule:{schedule.pk}:{run_day}",
    )
    exports.run(job.pk)
    job.refresh_from_db()
    ScheduledReport.objects.filter(pk=schedule.pk).update(last_export=job)
    if job.status != ExportStatus.DONE:
        return 0
    link = settings.SITE_URL + reverse("reports:exports")
    body = (
        f"{schedule.name}: {job.rows} messages from {first:%Y-%m-%d} to {last:%Y-%m-%d} "
        f"({schedule.account.time_zone}).\nSHA-256 {job.checksum}\n"
    )
    mail = EmailMessage(subject=f"Report: {schedule.name} ({first:%Y-%m-%d} – {last:%Y-%m-%d})", to=schedule.recipients)
    if job.size <= ATTACH_UP_TO:
        mail.attach(job.filename, job.file.read(), _content_type(job.format))
        job.file.close()
        mail.body = body
    else:
        mail.body = body + f"The file is too big to attach: download it from {link}.\n"
    if schedule.pdf_summary:
        mail.attach(summary_filename(schedule, first, last), summary_pdf(schedule, first, last), "application/pdf")
    mail.send()
    return 1


def last_period(schedule, now=None):
    """The (first, last) local dates the schedule's latest run covered (or would have)."""
    today = (now or timezone.now()).astimezone(zone(schedule.account.time_zone)).date()
    return period_of(schedule.frequency, today)


def summary_filename(schedule, first, last):
    return f"summary-{first:%Y%m%d}-{last:%Y%m%d}.pdf"


def summary_pdf(schedule, first, last):
    """The schedule's PDF summary of local days [first, last] (rollups, the schedule's filters)."""
    account = schedule.account
    return pdf_summary.render(
        account,
        title=schedule.name,
        first=first,
        last=last,
        filters=schedule.filters,
        brand_name=brand_for_account(account).name,
        created_at=timezone.now(),
    )


def _content_type(fmt):
    if fmt == "xlsx":
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "text/csv"
