"""File imports of unsubscribers, blocked template ids and registry rows, run as jobs with progress.

The request that submits an import only checks what can be checked at once (the file's type and
size, a workbook's zip directory, a URL's scheme and host) and queues a job; the job downloads a
URL's file, reads it and inserts the rows. Files are CSV/TXT (one value per line, first column) or
workbooks (first sheet, first column; portal.core.workbooks).
"""

import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from messaging.consent import canonical_scope
from messaging.models import Channel
from messaging.senders import services as registry
from messaging.suppressions.models import (
    BlockedTemplate,
    ImportJob,
    ImportKind,
    ImportStatus,
    Unsubscriber,
)
from messaging.suppressions.services import TEMPLATE_ID
from portal.core import outbound, rules, tabular, text, workbooks
from portal.core.bulk import copy_insert
from portal.core.errors import ValidationFailed
from portal.core.exports import csv_writer
from portal.core.phone_numbers import InvalidNumber, normalize

log = logging.getLogger(__name__)

MAX_BYTES = 100 * 1024 * 1024
ACCEPTED = ("csv", "txt", "xls", "xlsx")
SAMPLE = 1000  # rejected rows kept on the job; all of them go to the report file
PROGRESS_EVERY = 10_000
BATCH = 5_000
SNIFF_BYTES = 8


def _extension(name):
    name = name or ""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_upload(upload):
    """Refuse what cannot be imported before a job is created; returns the file's format (`csv`,
    `xlsx` or `xls`, recognised by content: a workbook saved under another name is read as one)."""
    ext = _extension(getattr(upload, "name", ""))
    if ext not in ACCEPTED:
        raise ValidationFailed({"file": [f"The file must be a file of type: {', '.join(ACCEPTED)}."]})
    if upload.size > MAX_BYTES:
        raise ValidationFailed({"file": ["The file may not be greater than 100 MB."]})
    if upload.size == 0:
        raise ValidationFailed({"file": ["The file is empty."]})
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return check_content_type(upload, head, ext)


def check_content_type(handle, head, ext, *, field="file"):
    """A file's format from its first bytes, after the checks of that format: a workbook's zip
    directory (no part inflated), a text file's NUL bytes and line lengths."""
    kind = workbooks.kind_of(head)
    if kind:
        workbooks.check(handle, kind, field=field)
        return kind
    if ext in ("xls", "xlsx"):
        raise ValidationFailed({field: [workbooks.NOT_A_WORKBOOK]})
    try:
        tabular.check_text_file(_chunks(handle))  # one value per line: no line can be that long
    except ValidationFailed as exc:
        raise ValidationFailed({field: exc.errors["file"]}) from None
    handle.seek(0)
    return "csv"


def _chunks(handle, size=1 << 20):
    handle.seek(0)
    while chunk := handle.read(size):
        yield chunk


def check_url(url):
    """A URL an import may download from, checked now (http/https, no credentials, a host whose
    every address is public); the download itself happens in the job. ValidationFailed on `url`."""
    url = text.as_text(url, "url").strip()
    if not url:
        raise ValidationFailed({"url": ["The url field is required."]})
    if len(url) > ImportJob._meta.get_field("source_url").max_length:
        raise ValidationFailed({"url": ["The url may not be greater than 2000 characters."]})
    try:
        outbound.check_url(
            url,
            allow_loopback=settings.IMPORT_URLS_ALLOW_LOOPBACK,
            resolve_host=True,
            resolve_timeout=settings.OUTBOUND_RESOLVE_TIMEOUT_SECONDS,
        )
    except outbound.Refused as exc:
        raise ValidationFailed({"url": [str(exc)]}) from None
    return url


def create_job(
    *,
    account,
    kind,
    content=None,
    filename,
    actor=None,
    scope_type="all",
    scope_value="*",
    file_format="csv",
    source_url="",
    channel=Channel.SMS,
):
    """The job record with its file (`content`), or with the URL its job downloads."""
    job = ImportJob(
        account=account,
        channel=channel,
        kind=kind,
        filename=filename[:255],
        created_by=actor,
        scope_type=canonical_scope(scope_type),
        scope_value=scope_value or "*",
        file_format=file_format,
        source_url=source_url,
    )
    if content is not None:
        job.file.save(filename or f"import.{file_format}", ContentFile(content), save=False)
    job.save()
    return job


def _queue(job):
    from messaging.suppressions.tasks import run_import

    transaction.on_commit(lambda: run_import.delay(job.pk))


def start_file_import(*, account, kind, upload, actor=None, channel=Channel.SMS):
    """Check an uploaded file and queue its import job (pages and the API)."""
    file_format = check_upload(upload)
    job = create_job(
        account=account,
        kind=kind,
        content=upload.read(),
        filename=upload.name,
        actor=actor,
        file_format=file_format,
        channel=channel,
    )
    _queue(job)
    return job


def start_url_import(*, account, kind, url, filename="", actor=None):
    """Check a URL and queue the job that downloads and imports its file."""
    url = check_url(url)
    name = text.as_text(filename, "filename").strip() or url.split("?", 1)[0].rsplit("/", 1)[-1] or "import.csv"
    job = create_job(account=account, kind=kind, filename=name[:255], actor=actor, source_url=url)
    _queue(job)
    return job


def _download(job):
    """Fetch a URL job's file (deadline, minimum rate, size cap: portal.core.outbound) and store it
    after the checks an upload gets. Raises ValidationFailed with the customer's reason."""
    try:
        content = outbound.download(
            job.source_url, max_bytes=MAX_BYTES, allow_loopback=settings.IMPORT_URLS_ALLOW_LOOPBACK
        )
    except (outbound.Refused, outbound.DownloadFailed) as exc:
        raise ValidationFailed({"url": [f"The file could not be downloaded: {exc}"]}) from None
    if not content:
        raise ValidationFailed({"url": ["The file could not be imported: the URL answered an empty file."]})
    handle = io.BytesIO(content)
    try:
        file_format = check_content_type(handle, content[:SNIFF_BYTES], _extension(job.filename), field="url")
    except ValidationFailed as exc:
        raise ValidationFailed({"url": [f"The downloaded file could not be imported: {exc.message}"]}) from None
    job.file_format = file_format
    job.file.save(job.filename or f"import.{file_format}", ContentFile(content), save=False)
    ImportJob.objects.filter(pk=job.pk).update(file=job.file.name, file_format=file_format)


def _table(job):
    """(row number, cells) of every row of the job's file, the header included."""
    with job.file.open("rb") as handle:
        if job.file_format in ("xlsx", "xls"):
            yield from enumerate(workbooks.rows(handle, job.file_format), start=1)
            return
        text_handle = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
        try:
            yield from enumerate(tabular.csv_rows(text_handle), start=1)
        finally:
            text_handle.detach()


def _rows(job):
    """(row number, first cell) for each non-empty line; a header row is skipped."""
    for number, row in _table(job):
        cell = row[0].strip() if row else ""
        if not cell:
            continue
        if number == 1 and not any(ch.isdigit() for ch in cell):
            continue  # a header such as "receiver" or "template_id"
        yield number, cell


def run(job_id):
    """Process a queued job once; safe to call twice (a job already taken is left alone). A file
    that cannot be downloaded or read fails the job with the reason the pages and the API show."""
    taken = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return
    job = ImportJob.objects.select_related("account").get(pk=job_id)
    try:
        if job.source_url and not job.file:
            _download(job)
        if job.kind == ImportKind.UNSUBSCRIBERS:
            _import(job, _parse_number, _insert_unsubscribers)
        elif job.kind == ImportKind.BLOCKED_TEMPLATES:
            _import(job, _parse_template_id, _insert_blocked)
        else:
            _import_registry(job)
    except ValidationFailed as exc:  # the file or the URL: the customer's to fix
        _fail(job, exc.message)
    except Exception as exc:
        _fail(job, f"The import failed: {exc}")
        raise


def _fail(job, message):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
    )


REGISTRY_COLUMNS = {
    ImportKind.SENDERS: ["name", "service", "country_code", "entity_id", "entity_name"],
    ImportKind.TEMPLATES: ["sender", "name", "type", "template_id", "body"],
}


def _import_registry(job):
    """Sender IDs or templates: each row goes through the same service (and validation) as the
    API, in its own savepoint, so one bad row never stops the others."""
    create = registry.create_sender if job.kind == ImportKind.SENDERS else registry.create_template
    columns = REGISTRY_COLUMNS[job.kind]
    lines = _table(job)
    header = next(lines, (1, []))[1]
    rows = [(n, dict(zip(header, cells, strict=False))) for n, cells in lines if any((v or "").strip() for v in cells)]
    ImportJob.objects.filter(pk=job.pk).update(total=len(rows))
    added, rejected = 0, []
    for i, (number, row) in enumerate(rows, start=1):
        data = {key: (row.get(key) or "").strip() for key in columns}
        try:
            with transaction.atomic():
                create(account=job.account, data=data, actor=job.created_by)
            added += 1
        except ValidationFailed as exc:
            reasons = "; ".join(m for messages in exc.errors.values() for m in messages)
            rejected.append((number, data.get("name", ""), reasons))
        if i % 100 == 0:
            ImportJob.objects.filter(pk=job.pk).update(processed=i)
    _finish(job, len(rows), added, 0, rejected)


def _finish(job, total, added, duplicates, rejected):
    report = ""
    if rejected:
        out = io.StringIO()
        writer = csv_writer(out)
        writer.writerow(["row", "value", "reason"])
        writer.writerows(rejected)
        job.report.save(f"rejected-{job.uuid}.csv", ContentFile(out.getvalue().encode()), save=False)
        report = job.report.name
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE,
        processed=total,
        added=added,
        duplicates=duplicates,
        invalid=len(rejected),
        rejected_sample=[{"row": r, "value": v, "reason": why} for r, v, why in rejected[:SAMPLE]],
        report=report,
        finished_at=timezone.now(),
    )


def _parse_number(cell):
    return normalize(cell)


def _parse_template_id(cell):
    if not TEMPLATE_ID.match(cell):
        raise InvalidNumber("The template id must be digits only.")
    return cell, None


def _import(job, parse, insert):
    rows = list(_rows(job))
    ImportJob.objects.filter(pk=job.pk).update(total=len(rows))
    valid, rejected, seen = {}, [], set()
    duplicates = 0
    for i, (number, cell) in enumerate(rows, start=1):
        try:
            key, extra = parse(cell)
        except InvalidNumber as exc:
            rejected.append((number, cell, str(exc)))
        else:
            if key in seen:
                duplicates += 1
            else:
                seen.add(key)
                valid[key] = extra
        if i % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(processed=i)
    added = insert(job, valid)
    _finish(job, len(rows), added, duplicates + len(valid) - added, rejected)


def _insert_unsubscribers(job, valid):
    """Insert new numbers for the job's scope; returns how many were new."""
    scope = {"account_id": job.account_id, "channel": job.channel, "type": job.scope_type, "value": job.scope_value}
    if connection.vendor == "postgresql":
        return _copy_insert(
            "suppressions_unsubscriber",
            ["uuid", "account_id", "channel", "receiver", "iso", "type", "value", "created_at", "updated_at"],
            (
                (scope["account_id"], scope["channel"], receiver, iso or "", scope["type"], scope["value"])
                for receiver, iso in valid.items()
            ),
            job,
        )
    existing = set(Unsubscriber.objects.filter(**scope).values_list("receiver", flat=True))
    new = [Unsubscriber(receiver=r, iso=iso or "", **scope) for r, iso in valid.items() if r not in existing]
    with transaction.atomic():
        Unsubscriber.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    return len(new)


def _insert_blocked(job, valid):

    rules.bump(job.account)
    if connection.vendor == "postgresql":
        return _copy_insert(
            "suppressions_blockedtemplate",
            ["uuid", "account_id", "template_id", "is_active", "created_at", "updated_at"],
            ((job.account_id, template_id, True) for template_id in valid),
            job,
        )
    existing = set(BlockedTemplate.objects.filter(account_id=job.account_id).values_list("template_id", flat=True))
    new = [BlockedTemplate(account_id=job.account_id, template_id=t) for t in valid if t not in existing]
    with transaction.atomic():
        BlockedTemplate.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    return len(new)


def _copy_insert(table, columns, rows, job):
    """PostgreSQL: COPY into a staging table, then one INSERT … ON CONFLICT DO NOTHING (shared with
    the contact imports in portal.core.bulk); the number of rows inserted is exact even when other
    imports run at the same time."""
    defaults = {"uuid": "gen_random_uuid()", "created_at": "now()", "updated_at": "now()"}
    data_columns = [c for c in columns if c not in defaults]
    with transaction.atomic():
        return copy_insert(table, data_columns, rows, defaults={c: defaults[c] for c in columns if c in defaults})
