"""Builders for the import tests: CSV and XLSX files in memory, and a job run to the end."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.imports import services


def csv_upload(text, name="contacts.csv"):
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_bytes(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_upload(rows, name="contacts.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def read_workbook(job):
    """Run a workbook upload's inspection job (the upload request only stores the file)."""
    services.inspect_import(job.pk)
    job.refresh_from_db()
    return job


def run_upload(account, upload, *, mapping=None, capture, **start):
    """Upload, map and run a job synchronously (the task runs on commit)."""
    job = read_workbook(services.create_import(account=account, upload=upload))
    with capture(execute=True):
        services.start_import(job=job, mapping=mapping, **start)
    job.refresh_from_db()
    return job
