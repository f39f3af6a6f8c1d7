"""File imports of unsubscribers and blocked template ids, run as jobs with progress."""

import io

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
from portal.core import rules, tabular
from portal.core.bulk import copy_insert
from portal.core.errors import ValidationFailed
from portal.core.exports import csv_writer
from portal.core.phone_numbers import InvalidNumber, normalize

MAX_BYTES = 100 * 1024 * 1024
ACCEPTED = {"csv", "txt"}
SAMPLE = 1000  # rejected rows kept on the job; all of them go to the report file
PROGRESS_EVERY = 10_000
BATCH = 5_000


def check_upload(upload):
    """Refuse what cannot be imported before a job is created."""
    name = getattr(upload, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in {"xls", "xlsx"}:
        raise ValidationFailed({"file": ["Spreadsheets are not read directly: save the sheet as CSV and upload that."]})
    if ext not in ACCEPTED:
        raise ValidationFailed({"file": ["The file must be a file of type: csv, txt."]})
    if upload.size > MAX_BYTES:
        raise ValidationFailed({"file": ["The file may not be greater than 100 MB."]})
    if upload.size == 0:
        raise ValidationFailed({"file": ["The file is empty."]})
    tabular.check_text_file(upload.chunks())  # one value per line: no line can be that long
    upload.seek(0)


def create_job(*, account, kind, content, filename, actor=None, scope_type="all", scope_value="*", channel=Channel.SMS):
    job = ImportJob(
        account=account,
        channel=channel,
        kind=kind,
        filename=filename[:255],
        created_by=actor,
        scope_type=canonical_scope(scope_type),
        scope_value=scope_value or "*",
    )
    job.file.save(filename or "import.csv", ContentFile(content), save=False)
    job.save()
    return job


def _rows(job):
    """(row number, first cell) for each non-empty line; a header row is skipped."""
    with job.file.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
        for number, row in enumerate(tabular.csv_rows(text), start=1):
            cell = row[0].strip() if row else ""
            if not cell:
                continue
            if number == 1 and not any(ch.isdigit() for ch in cell):
                continue  # a header such as "receiver" or "template_id"
            yield number, cell


def run(job_id):
    """Process a queued job once; safe to call twice (a job already taken is left alone)."""
    taken = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return
    job = ImportJob.objects.select_related("account").get(pk=job_id)
    try:
        if job.kind == ImportKind.UNSUBSCRIBERS:
            _import(job, _parse_number, _insert_unsubscribers)
        elif job.kind == ImportKind.BLOCKED_TEMPLATES:
            _import(job, _parse_template_id, _insert_blocked)
        else:
            _import_registry(job)
    except Exception as exc:  # noqa: BLE001 - the job records the failure for the customer
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        raise


REGISTRY_COLUMNS = {
    ImportKind.SENDERS: ["name", "service", "country_code", "entity_id", "entity_name"],
    ImportKind.TEMPLATES: ["sender", "name", "type", "template_id", "body"],
}


def _import_registry(job):
    """Sender IDs or templates: each row goes through the same service (and validation) as the
    API, in its own savepoint, so one bad row never stops the others."""
    create = registry.create_sender if job.kind == ImportKind.SENDERS else registry.create_template
    columns = REGISTRY_COLUMNS[job.kind]
    with job.file.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
        lines = tabular.csv_rows(text)
        header = next(lines, [])
        rows = [
            (n, dict(zip(header, cells, strict=False)))
            for n, cells in enumerate(lines, start=2)
            if any((v or "").strip() for v in cells)
        ]
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
