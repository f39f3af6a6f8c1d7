"""Contact imports: upload, column mapping, the background run (streamed, chunked, resumable),
cancel, delete and the sweeper for jobs whose worker died. Pages, the v2 API and the tasks call
these; each function is keyword-only and owns its transaction."""

import itertools
import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account
from accounts.services import audit
from contacts.imports import readers
from contacts.imports.mapping import (
    IDENTIFIER_NAMES,
    RowInvalid,
    guess_mapping,
    looks_like_data,
    parse_row,
    validate_mapping,
)
from contacts.imports.models import ContactImport, ImportRow, ImportStatus, RowKind
from contacts.imports.prefetch import prefetch
from contacts.imports.upsert import ChunkWriter
from portal.core import text
from portal.core.errors import ValidationFailed

log = logging.getLogger(__name__)

CHUNK = 10_000
SAMPLE_ROWS = 6
MAX_ATTEMPTS = 3
MAX_CELLS_KEPT = 50
STALE_AFTER = timedelta(seconds=getattr(settings, "CONTACT_IMPORT_STALE_SECONDS", 120))


def max_bytes():
    return getattr(settings, "CONTACT_IMPORT_MAX_BYTES", 5 * 1024 * 1024)


class ImportCancelled(Exception):
    pass


# -- upload and mapping --------------------------------------------------------------------


def _non_blank(rows):
    for number, row in enumerate(rows, start=1):
        if not readers.is_blank(row):
            yield number, row


HEARTBEAT_EVERY = 50_000  # rows counted between two heartbeats of a workbook's inspection


def _inspect(job, on_progress=None):
    """First rows (for the mapping step) and the number of non-blank rows, in one streamed pass.
    `on_progress` is called every HEARTBEAT_EVERY rows (the inspection job's heartbeat)."""
    with job.file.open("rb") as handle:
        rows = _non_blank(readers.rows(handle, job.file_format))
        # Stored as JSON for the mapping step (an .xls cell may hold NUL; its row is refused later).
        sample = [[text.shown(c) for c in row] for _, row in itertools.islice(rows, SAMPLE_ROWS)]
        count = len(sample)
        for _ in rows:
            count += 1
            if on_progress and count % HEARTBEAT_EVERY == 0:
                on_progress()
    return sample, count


def _read_first_rows(job, on_progress=None):
    """Fill the job's sample, header guess, total, headers and suggested mapping from its file.
    Raises ValidationFailed for an unreadable or row-less file."""
    try:
        sample, count = _inspect(job, on_progress)
    except (UnicodeError, ValueError) as exc:
        raise ValidationFailed({"file": ["The file could not be read."]}) from exc
    if count == 0:
        raise ValidationFailed({"file": ["The file has no rows to import."]})
    job.sample = sample
    job.has_header = not looks_like_data(sample[0])
    job.total = count - (1 if job.has_header else 0)
    if job.total == 0:
        raise ValidationFailed({"file": ["The file has a header row but no contacts."]})
    job.headers = headers_of(job)
    job.mapping = suggested_mapping(job)


def _check_identity_column(job):
    if not set(job.mapping) & {"identity", *IDENTIFIER_NAMES}:
        raise ValidationFailed(
            {"file": ["The file needs a column named identity, phone (mobile), email or another identifier."]}
        )


def headers_of(job):
    width = max((len(r) for r in job.sample), default=0)
    if job.has_header and job.sample:
        first = job.sample[0]
        return [(first[i].strip() if i < len(first) else "") or f"Column {i + 1}" for i in range(width)]
    return [f"Column {i + 1}" for i in range(width)]


def preview_rows(job):
    return job.sample[1:] if job.has_header else job.sample[: SAMPLE_ROWS - 1]


def _guess_from_data(rows, width):
    """Headerless files: a column of phone numbers or e-mail addresses is recognised by its values."""
    mapping = []
    for i in range(width):
        cells = [r[i] for r in rows if i < len(r) and r[i].strip()]
        guess = ""
        if cells and all(looks_like_data([c]) for c in cells):
            guess = "email" if all("@" in c for c in cells) else "phone"
        if guess in mapping:
            guess = ""
        mapping.append(guess)
    return mapping


def suggested_mapping(job):
    if job.has_header:
        return guess_mapping(headers_of(job))
    return _guess_from_data(job.sample, len(headers_of(job)))


def create_import(*, account, upload, actor=None, request=None, replace_tags=False, start_when_read=False):
    """Store an uploaded CSV/TXT/XLSX/XLS file. A text file's first rows are read at once and the
    job waits for its column mapping; a workbook (whose rows take longer to count) is read by a job
    (`inspect_import`), the record shows `inspecting` until then. With `start_when_read`, the job
    maps the columns from the headers and starts by itself (the API's one-step import). Raises
    ValidationFailed for an empty, oversize, unreadable or row-less file (a workbook's rows: in
    the job, whose error says so)."""
    file_format = readers.check_upload(upload, max_bytes=max_bytes())
    job = ContactImport(
        account=account,
        created_by=actor,
        filename=(upload.name or "contacts.csv")[:255],
        file_format=file_format,
        size=upload.size,
        replace_tags=replace_tags,
        start_when_read=start_when_read,
    )
    job.file.save(job.filename, upload, save=False)
    if file_format in readers.WORKBOOK_FORMATS:
        job.status = ImportStatus.INSPECTING
        job.heartbeat_at = timezone.now()
        job.save()
        audit.record("contact_import.uploaded", account=account, actor=actor, target=job.filename, request=request)
        transaction.on_commit(lambda: _queue_inspection(job.pk))
        return job
    try:
        _read_first_rows(job)
        if start_when_read:
            _check_identity_column(job)
    except ValidationFailed:
        job.file.delete(save=False)
        raise
    job.save()
    audit.record(
        "contact_import.uploaded", account=account, actor=actor, target=job.filename, request=request, rows=job.total
    )
    return job


def _queue_inspection(job_id):
    from contacts.imports.tasks import inspect_contact_import

    inspect_contact_import.delay(job_id)


def inspect_import(job_id):
    """Read a workbook's first rows and count the rest (the job of a workbook upload); then the
    job waits for its mapping, or starts (`start_when_read`). A file that cannot be imported fails
    the job with the reason. Safe to call twice: only a job still `inspecting` is read, and only
    one still `inspecting` when the reading ends moves on (a cancel meanwhile wins)."""
    taken = ContactImport.objects.filter(pk=job_id, status=ImportStatus.INSPECTING).update(
        heartbeat_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not taken:
        return
    job = ContactImport.objects.get(pk=job_id)

    def beat():
        ContactImport.objects.filter(pk=job_id, status=ImportStatus.INSPECTING).update(heartbeat_at=timezone.now())

    try:
        _read_first_rows(job, on_progress=beat)
        if job.start_when_read:
            _check_identity_column(job)
    except Exception as exc:  # the job records the failure for the customer
        if not isinstance(exc, ValidationFailed):
            log.exception("contact import %s could not be read", job.pk)
        message = exc.message if isinstance(exc, ValidationFailed) else "The file could not be read."
        ContactImport.objects.filter(pk=job.pk, status=ImportStatus.INSPECTING).update(
            status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
        )
        return
    status = ImportStatus.QUEUED if job.start_when_read else ImportStatus.MAPPING
    with transaction.atomic():
        moved = ContactImport.objects.filter(pk=job.pk, status=ImportStatus.INSPECTING).update(
            status=status,
            sample=job.sample,
            has_header=job.has_header,
            total=job.total,
            headers=job.headers,
            mapping=job.mapping,
            attempts=0,
            heartbeat_at=None,
            updated_at=timezone.now(),
        )
        if moved and job.start_when_read:
            from contacts.imports.tasks import run_contact_import

            audit.record("contact_import.started", account=job.account, target=job.filename, rows=job.total)
            transaction.on_commit(lambda: run_contact_import.delay(job.pk))


def set_header(*, job, has_header):
    """Whether the first row holds column titles (changes the headers, the guess and the total)."""
    if job.status != ImportStatus.MAPPING or has_header == job.has_header:
        return job
    job.total += -1 if has_header else 1
    job.has_header = has_header
    job.headers = headers_of(job)
    job.mapping = suggested_mapping(job)
    job.save(update_fields=["total", "has_header", "headers", "mapping", "updated_at"])
    return job


def start_import(*, job, mapping=None, replace_tags=None, extra_tags=None, actor=None, request=None):
    """Fix the column mapping and queue the job (it runs after the transaction commits).
    Raises ValidationFailed for an unusable mapping or a job that is no longer waiting."""
    from contacts.imports.tasks import run_contact_import

    clean = validate_mapping(job.mapping if mapping is None else mapping, len(job.headers))
    tags = [t.strip()[:100] for t in (extra_tags or []) if t and t.strip()]
    with transaction.atomic():
        changes = {"mapping": clean, "status": ImportStatus.QUEUED, "updated_at": timezone.now()}
        if replace_tags is not None:
            changes["replace_tags"] = bool(replace_tags)
        if extra_tags is not None:
            changes["extra_tags"] = list(dict.fromkeys(tags))
        queued = ContactImport.objects.filter(pk=job.pk, status=ImportStatus.MAPPING).update(**changes)
        if not queued:
            raise ValidationFailed({"status": ["This import has already been started."]})
        audit.record("contact_import.started", account=job.account, actor=actor, target=job.filename, request=request)
        transaction.on_commit(lambda: run_contact_import.delay(job.pk))
    job.refresh_from_db()
    return job


def import_file(*, account, upload, replace_tags=False, actor=None, request=None):
    """The API's one-step import: columns mapped from their headers, queued at once (a workbook:
    as soon as its job has read it)."""
    with transaction.atomic():
        job = create_import(
            account=account,
            upload=upload,
            actor=actor,
            request=request,
            replace_tags=replace_tags,
            start_when_read=True,
        )
        if job.status == ImportStatus.INSPECTING:
            return job
        return start_import(job=job, actor=actor, request=request)


# -- the run -------------------------------------------------------------------------------


def _data_rows(job):
    """(row number in the file, cells) of every data row, streamed."""
    with job.file.open("rb") as handle:
        rows = _non_blank(readers.rows(handle, job.file_format))
        if job.has_header:
            next(rows, None)
        yield from rows


def _kept(cells):
    return [text.shown(str(c)[:200]) for c in cells[:MAX_CELLS_KEPT]]  # stored as JSON: no NUL


def run_import(job_id):
    """Run a queued job (from where a previous attempt stopped); safe to call twice."""
    now = timezone.now()
    taken = ContactImport.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    if not taken:
        return
    job = ContactImport.objects.get(pk=job_id)
    try:
        _process(job)
    except ImportCancelled:
        ContactImport.objects.filter(pk=job.pk).update(status=ImportStatus.CANCELLED, finished_at=timezone.now())
    except Exception as exc:  # the job records the failure for the customer
        log.exception("contact import %s failed", job.pk)
        message = exc.message if isinstance(exc, ValidationFailed) else f"The import failed: {exc}"
        ContactImport.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
        )


def _parsed(job, rows, writer):
    """(chunk, records, refused rows) per CHUNK data rows: the CPU half of the work."""
    while chunk := list(itertools.islice(rows, CHUNK)):
        records, refused = _parse_chunk(job, chunk)
        yield chunk, writer.prepare(records), refused


def _parse_chunk(job, chunk):
    records, refused = [], []
    for number, cells in chunk:
        try:
            records.append(parse_row(number, cells, job.mapping))
        except RowInvalid as exc:
            refused.append(ImportRow(job_id=job.pk, row=number, reason=str(exc)[:300], values=_kept(cells)))
    return records, refused


def _process(job):
    writer = ChunkWriter(
        account_id=job.account_id, mapping=job.mapping, replace_tags=job.replace_tags, extra_tags=job.extra_tags
    )
    rows = itertools.islice(_data_rows(job), job.processed, None)  # resume after the last committed chunk
    for chunk, records, refused in prefetch(_parsed(job, rows, writer)):
        _write_chunk(job, writer, chunk, (records, refused))
    finished = ContactImport.objects.filter(pk=job.pk, status=ImportStatus.RUNNING, cancel_requested=False).update(
        status=ImportStatus.DONE, total=F("processed"), finished_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if not finished:
        raise ImportCancelled


def _write_chunk(job, writer, chunk, parsed=None):
    """Write one chunk and its progress in one transaction: the job's counters and the rows it
    wrote commit together, so a resumed job starts exactly after the last committed chunk."""
    records, refused = parsed or _parse_chunk(job, chunk)
    cells_of = dict(chunk)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Losing the last commits in a database crash loses their progress too (same
            # transaction), and the resumed job redoes them: no need to wait for the WAL flush.
            # Remaining foreign keys (the job's rows) checked as each statement runs, not at commit.
            # Contacts, identifiers and tag links have no database FK check (docs/contacts.md): the
            # account is locked here once, as each row's check would have, so it stays until commit.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute("SET LOCAL jit TO OFF")  # compiling costs more than these short statements
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    f"SELECT 1 FROM {Account._meta.db_table} WHERE id = %s FOR KEY SHARE",  # noqa: S608
                    [job.account_id],
                )
                if cursor.fetchone() is None:
                    raise ImportCancelled
        result = writer.write(records)
        refused = refused + [
            ImportRow(job_id=job.pk, row=n, kind=RowKind.SKIPPED, reason=why, values=_kept(cells_of.get(n, [])))
            for n, why in result.skipped
        ]
        ImportRow.objects.bulk_create(refused, batch_size=1000)
        invalid = sum(1 for r in refused if r.kind == RowKind.INVALID)
        progressed = ContactImport.objects.filter(
            pk=job.pk, status=ImportStatus.RUNNING, cancel_requested=False
        ).update(
            processed=F("processed") + len(chunk),
            added=F("added") + result.added,
            updated=F("updated") + result.updated,
            skipped=F("skipped") + result.unchanged + len(result.skipped),
            invalid=F("invalid") + invalid,
            heartbeat_at=timezone.now(),
        )
        if not progressed:
            # Cancelled or deleted meanwhile: this chunk is rolled back, earlier ones stay.
            raise ImportCancelled


# -- cancel, delete, stale jobs ------------------------------------------------------------


def cancel_import(*, job, actor=None, request=None):
    """Stop a job: at once when it has not started, at the next chunk boundary when running
    (rows already written stay). Raises ValidationFailed when the job has finished."""
    now = timezone.now()
    with transaction.atomic():
        stopped = ContactImport.objects.filter(
            pk=job.pk, status__in=[ImportStatus.INSPECTING, ImportStatus.MAPPING, ImportStatus.QUEUED]
        ).update(status=ImportStatus.CANCELLED, cancel_requested=True, finished_at=now)
        if not stopped:
            stopped = ContactImport.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(cancel_requested=True)
        if not stopped:
            raise ValidationFailed({"status": ["This import has already finished."]})
        audit.record("contact_import.cancelled", account=job.account, actor=actor, target=job.filename, request=request)
    job.refresh_from_db()
    if job.is_stale():
        recover_stale(job)
        job.refresh_from_db()
    return job


def delete_import(*, job, actor=None, request=None):
    """Remove the import record, its stored file and its report (contacts it wrote stay). A
    running job stops: its next progress update finds the record gone and rolls back."""
    with transaction.atomic():
        ContactImport.objects.filter(pk=job.pk).update(cancel_requested=True)
        name = job.file.name
        job.delete()
        audit.record("contact_import.deleted", account=job.account, actor=actor, target=job.filename, request=request)
        if name:
            storage = job.file.storage
            transaction.on_commit(lambda: storage.delete(name))


def recover_stale(job, now=None):
    """A running or inspecting job whose heartbeat stopped (its worker died): queue it again (a run
    resumes from the last committed chunk, an inspection starts over), or fail it after
    MAX_ATTEMPTS. Returns the new status or None."""
    now = now or timezone.now()
    if job.status == ImportStatus.INSPECTING:
        return _recover_inspection(job, now)
    stale = ContactImport.objects.filter(pk=job.pk, status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    if job.cancel_requested:
        return ImportStatus.CANCELLED if stale.update(status=ImportStatus.CANCELLED, finished_at=now) else None
    if job.attempts < MAX_ATTEMPTS:
        from contacts.imports.tasks import run_contact_import

        if stale.update(status=ImportStatus.QUEUED):
            transaction.on_commit(lambda: run_contact_import.delay(job.pk))
            return ImportStatus.QUEUED
        return None
    failed = stale.update(
        status=ImportStatus.FAILED,
        error="The import stopped unexpectedly several times; the rows before the stop were imported.",
        finished_at=now,
    )
    return ImportStatus.FAILED if failed else None


def _recover_inspection(job, now):
    stale = ContactImport.objects.filter(pk=job.pk, status=ImportStatus.INSPECTING, heartbeat_at__lt=now - STALE_AFTER)
    if job.attempts < MAX_ATTEMPTS:
        if stale.update(heartbeat_at=now):
            transaction.on_commit(lambda: _queue_inspection(job.pk))
            return ImportStatus.INSPECTING
        return None
    failed = stale.update(
        status=ImportStatus.FAILED,
        error="The file could not be read: reading it stopped unexpectedly several times.",
        finished_at=now,
    )
    return ImportStatus.FAILED if failed else None


def sweep_stale(now=None):
    """Periodic: recover every running or inspecting job whose heartbeat is older than STALE_AFTER
    (cross-account)."""
    now = now or timezone.now()
    stale = ContactImport.objects.filter(
        status__in=[ImportStatus.RUNNING, ImportStatus.INSPECTING], heartbeat_at__lt=now - STALE_AFTER
    )
    return sum(1 for job in stale if recover_stale(job, now))


# -- reading -------------------------------------------------------------------------------


def rejected_rows(job):
    return job.rows.order_by("row").iterator(chunk_size=2000)


def field_label(value):
    if value.startswith("attr:"):
        return f"Attribute “{value[5:]}”"
    from contacts.imports.mapping import FIELD_CHOICES

    return dict(FIELD_CHOICES).get(value, value)
