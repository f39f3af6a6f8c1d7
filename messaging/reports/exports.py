"""Report exports as background jobs: the delivery report's rows, filtered as on the page, as
CSV or XLSX, streamed to a file (memory stays flat: on PostgreSQL the rows arrive already
formatted from `COPY (SELECT …) TO STDOUT`, one COPY per chunk, see export_sql; elsewhere from a
server-side cursor), with progress, a row count and a SHA-256, deduplicated (the same request
while one is queued or running gets that one), cancellable, and kept for EXPORT_RETENTION_DAYS.

Every text cell is formula-safe (portal.core.exports.safe_cell, or the same rule in SQL), so no
customer-supplied text runs as a spreadsheet formula."""

import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from messaging.reports import delivery, export_sql, statuses
from messaging.reports.forms import DeliveryFilterForm
from messaging.reports.models import ExportFormat, ExportJob, ExportStatus, export_path
from messaging.reports.rollups import zone
from messaging.reports.xlsx_stream import SheetWriter, row_xml
from portal.core.errors import ValidationFailed
from portal.core.exports import csv_writer, safe_cell

log = logging.getLogger(__name__)
RUN_TASK = "messaging.reports.tasks.run_export"
PROGRESS_EVERY = 50_000  # rows per chunk: between progress updates (and cancellation checks)

HEADER = (
    "id",
    "channel",
    "mobile",
    "country",
    "operator",
    "sender",
    "service",
    "template_id",
    "status",
    "status_code",
    "units",
    "charges",
    "custom",
    "submitted_at",
    "delivered_at",
    "status_meaning",  # the status table's sentence (statuses.py), as the pages show it
)
_VALUES = (
    "batch__uuid",
    "index",
    "channel",
    "mobile",
    "iso",
    "operator",
    "sender",
    "product_code",
    "template_id",
    "status",
    "status_code",
    "units",
    "charges",
    "custom",
    "submitted_at",
    "delivered_at",
)


def _filters_text(account, query):
    """The filter fields of `query` as text (what the job stores), after validating them."""
    form = DeliveryFilterForm(account, query)
    if not form.is_valid():
        raise ValidationFailed(form.errors)
    return {name: str(query[name]) for name in form.fields if name != "order" and query.get(name)}


def request_export(account, *, query, fmt, user=None, email_to=""):
    """Queue an export of the delivery report filtered by `query`; returns (job, created).
    While the same request (same filters and format) is queued or running, that job is
    returned instead of a second one."""
    if fmt not in ExportFormat.values:
        raise ValidationFailed({"format": ["Choose CSV or XLSX."]})
    filters = _filters_text(account, query)
    digest = hashlib.sha256(json.dumps(["delivery", fmt, sorted(filters.items())]).encode()).hexdigest()
    with transaction.atomic():
        running = (
            ExportJob.objects.for_account(account)
            .select_for_update()
            .filter(request_hash=digest, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
            .first()
        )
        if running:
            return running, False
        job = ExportJob.objects.create(
            account=account, created_by=user, format=fmt, filters=filters, request_hash=digest, email_to=email_to
        )
        transaction.on_commit(lambda: current_app.tasks[RUN_TASK].delay(job.pk))
    return job, True


def cancel(job):
    """Stop a queued or running export; the worker notices at its next progress update."""
    now = timezone.now()
    return ExportJob.objects.filter(pk=job.pk, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).update(
        status=ExportStatus.CANCELLED, finished_at=now, expires_at=_retained(now)
    )


def _retained(now):
    return now + timedelta(days=settings.EXPORT_RETENTION_DAYS)


class _Hashing:
    """A binary file that hashes and counts what goes through it."""

    def __init__(self, raw):
        self.raw, self.sha, self.size = raw, hashlib.sha256(), 0

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self):
        self.raw.flush()

    def writable(self):
        return True

    def readable(self):
        return False

    def seekable(self):
        return False

    @property
    def closed(self):
        return self.raw.closed


def rows_of(job):
    """The export's rows in submission order, each a tuple in HEADER order (text for times)."""
    messages = _messages(job)[0].order_by("submitted_at", "id")
    tz = zone(job.account.time_zone)
    status_at = _VALUES.index("status")
    for values in messages.values_list(*_VALUES).iterator(chunk_size=5000):
        group, index, *rest, submitted_at, delivered_at = values
        yield (
            f"{group}:{index}",
            *rest,
            submitted_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            delivered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if delivered_at else "",
            statuses.explain(values[status_at], values[status_at + 1]),  # cached per (status, code)
        )


def _still_wanted(job):
    return ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).exists()


def run(job_id):
    """Write the export (the worker's task). Runs once: only a queued job is started."""
    now = timezone.now()
    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now
    ):
        return None
    job = ExportJob.objects.select_related("account").get(pk=job_id)
    plan = _plan(job)
    job.expected_rows = plan.total if plan else _messages(job)[0].count()
    ExportJob.objects.filter(pk=job.pk).update(expected_rows=job.expected_rows)
    name = export_path(job, "")
    path = default_storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        written, checksum, size = (_write_xlsx if job.format == ExportFormat.XLSX else _write_csv)(job, path, plan)
    except Exception as exc:
        _remove(path)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:500], finished_at=timezone.now(), expires_at=_retained(now)
        )
        log.exception("export %s failed", job.uuid)
        return None
    if written is None:  # cancelled meanwhile
        _remove(path)
        return None
    finished = timezone.now()
    moved = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        rows=written,
        checksum=checksum,
        size=size,
        file=name,
        finished_at=finished,
        expires_at=_retained(finished),
    )
    if not moved:
        _remove(path)
        return None
    if job.email_to:
        job.refresh_from_db()
        _announce(job, written, checksum)
    return written


class _Cancelled(Exception):
    pass


def _progress(job, written):
    ExportJob.objects.filter(pk=job.pk).update(rows=written)
    if not _still_wanted(job):
        raise _Cancelled


def _messages(job):
    """The job's rows as the delivery report filters them, and the filters."""
    form = DeliveryFilterForm(job.account, job.filters)
    form.is_valid()
    filters = form.filters()
    return delivery.messages(job.account, filters), filters


def _plan(job):
    """On PostgreSQL, the row count and the chunk boundaries in one index scan (export_sql.plan)."""
    if connection.vendor != "postgresql":
        return None
    messages, filters = _messages(job)
    return export_sql.plan(messages, by_index=bool(filters.get("campaign")), size=PROGRESS_EVERY)


def _blocks(job, fmt, write, plan=None):
    """Write the export's rows through `write` (after a CSV's header line) and yield the row
    count of each block of about PROGRESS_EVERY rows once it is written: formatted by PostgreSQL
    (export_sql: one COPY per chunk of `plan`; CSV lines end in LF), elsewhere row by row in
    Python (the csv module's CRLF)."""
    messages, filters = _messages(job)
    if connection.vendor == "postgresql":
        if fmt == ExportFormat.CSV:
            write((",".join(HEADER) + "\n").encode())
        yield from export_sql.chunks(
            messages,
            fmt=fmt,
            zone_name=getattr(zone(job.account.time_zone), "key", "UTC"),
            by_index=bool(filters.get("campaign")),
            campaign=filters.get("campaign"),
            planned=plan,
            size=PROGRESS_EVERY,
            write=write,
        )
        return
    if fmt == ExportFormat.CSV:
        write(_csv_lines([HEADER]))
    rows = rows_of(job)
    while chunk := list(itertools.islice(rows, PROGRESS_EVERY)):
        if fmt == ExportFormat.XLSX:
            write(b"".join(row_xml([safe_cell(v) for v in row]) for row in chunk))
        else:
            write(_csv_lines(chunk))
        yield len(chunk)


def _csv_lines(rows):
    text = io.StringIO()
    csv_writer(text).writerows(rows)
    return text.getvalue().encode()


def _write_blocks(job, out, plan):
    """Rows into `out`, recording progress (and stopping if cancelled) after every block."""
    written = 0
    for count in _blocks(job, job.format, out.write, plan):
        written += count
        _progress(job, written)
    return written


def _write_csv(job, path, plan):
    with open(path, "wb") as raw:
        hashing = _Hashing(raw)
        try:
            written = _write_blocks(job, hashing, plan)
        except _Cancelled:
            return None, "", 0
    return written, hashing.sha.hexdigest(), hashing.size


def _write_xlsx(job, path, plan):
    with open(path, "wb") as raw:
        hashing = _Hashing(raw)
        try:
            with SheetWriter(hashing, "Messages") as sheet:
                sheet.write(row_xml(HEADER))
                written = _write_blocks(job, sheet, plan)
        except _Cancelled:
            return None, "", 0
    return written, hashing.sha.hexdigest(), hashing.size


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _announce(job, rows, checksum):
    link = settings.SITE_URL + reverse("reports:exports")
    send_mail(
        subject=f"Your {job.get_format_display()} export is ready",
        message=f"{rows} rows, SHA-256 {checksum}.\nDownload it from {link} until {job.expires_at:%Y-%m-%d}.",
        from_email=None,
        recipient_list=[job.email_to],
    )


def purge_expired(now=None):
    """Delete exports past their retention, files first."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(expires_at__lt=now)
    removed = 0
    for job in expired.iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        removed += 1
    return removed
