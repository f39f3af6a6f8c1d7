"""Uploaded files (portal/core/tabular.py): a cell over 128 KB in any CSV/TXT/XLSX is a 422 on
`file` naming the line, never a reader exception (contact imports, unsubscriber and
blocked-template imports, the registry imports' jobs, the Send SMS file of numbers); a text file
holding NUL is refused whole; rows that still carry one are refused and reported storably."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.imports.mapping import RowInvalid, parse_row
from contacts.imports.models import ContactImport
from messaging.pipeline import recipients
from messaging.suppressions import importers
from messaging.suppressions.models import ImportJob, ImportKind, ImportStatus
from portal.core import tabular, text
from portal.core.errors import ValidationFailed
from tests.contacts.import_helpers import xlsx_bytes

pytestmark = pytest.mark.django_db
BIG = "x" * (tabular.CELL_MAX_CHARS + 1)


def message(line):
    return f"The file has a cell larger than 128 KB (line {line})."


def huge_xlsx():
    """A workbook whose cell holds more than Excel allows (openpyxl would cut it on writing, not on
    reading): written with a placeholder, then the sheet's XML is edited."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["phone", "note"], ["447400123456", "PLACEHOLDER"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename).replace(b"PLACEHOLDER", BIG.encode()))
    return out.getvalue()


def upload(name, data):
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)


@pytest.mark.parametrize(
    ("name", "data", "line"),
    [
        ("contacts.csv", f"phone,first_name\n447400123456,Ann\n447400123457,{BIG}\n", 3),
        ("contacts.csv", f'phone,note\n447400123456,"{"y" * 70_000}\n{"y" * 70_000}"\n', 2),  # quoted, two lines
    ],
)
def test_a_contact_import_with_a_huge_cell_is_a_422(api_client, name, data, line):
    res = api_client.post("/api/v2/contacts/import/subscribers", {"file": upload(name, data)}, format="multipart")
    assert res.status_code == 422
    assert res.json()["errors"] == {"file": [message(line)]}
    assert not ContactImport.objects.exists()


def test_a_workbook_with_a_huge_cell_fails_its_job_with_the_message(api_client, django_capture_on_commit_callbacks):
    # A workbook's rows are read by the job (never in the request): the job carries the refusal.
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(
            "/api/v2/contacts/import/subscribers", {"file": upload("contacts.xlsx", huge_xlsx())}, format="multipart"
        )
    assert res.status_code == 200 and res.json()["data"]["status"] == "inspecting"
    job = ContactImport.objects.get()
    assert (job.status, job.error) == ("failed", message(2))


def test_a_cell_of_exactly_128_kb_is_read(api_client):
    data = f"phone,note\n447400123456,{'x' * tabular.CELL_MAX_CHARS}\n"
    res = api_client.post("/api/v2/contacts/import/subscribers", {"file": upload("c.csv", data)}, format="multipart")
    assert res.status_code == 200


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/v2/sms/suppressions/unsubscribers/import", ImportKind.UNSUBSCRIBERS),
        ("/api/v2/sms/suppressions/templates/import", ImportKind.BLOCKED_TEMPLATES),
    ],
)
def test_suppression_imports_with_a_huge_line_are_a_422(api_client, path, kind):
    data = "receiver\n447400123456\n" + BIG + "\n447400123457\n"
    res = api_client.post(path, {"file": upload("list.csv", data)}, format="multipart")
    assert res.status_code == 422 and res.json()["errors"] == {"file": [message(3)]}
    assert not ImportJob.objects.filter(kind=kind).exists()


def test_the_suppression_import_page_shows_the_refusal(user_client):
    res = user_client.post(
        reverse("suppressions:import_start", args=["unsubscribers"]),
        {"file": upload("list.csv", "447400123456\n" + BIG)},
        follow=True,
    )
    assert message(2) in res.content.decode()
    assert not ImportJob.objects.exists()


def test_a_job_that_meets_a_huge_quoted_cell_fails_with_the_message(account):
    # One value per line is checked on upload; a quoted cell spanning lines is found by the reader.
    content = ('447400123456\n"' + "1\n" * 70_000 + '"\n').encode()
    job = importers.create_job(account=account, kind=ImportKind.UNSUBSCRIBERS, content=content, filename="q.csv")
    importers.run(job.pk)  # the customer's file: recorded on the job, not raised to the worker
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.error == message(2)


def test_a_file_of_numbers_to_send_with_a_huge_cell_is_refused(account):
    # The Send SMS page puts the refusal on its `file` field (form_errors_from).
    with pytest.raises(ValidationFailed) as exc:
        recipients.resolve(account, files=[upload("numbers.csv", "447400123456\n" + BIG)])
    assert exc.value.errors == {"file": [message(2)]}


def test_check_lines_counts_lines_across_chunks():
    chunks = [b"1\n2\n", b"x" * 100_000, b"x" * 40_000 + b"\n3"]
    with pytest.raises(ValidationFailed) as exc:
        tabular.check_text_file(chunks)
    assert exc.value.errors == {"file": [message(3)]}
    tabular.check_text_file([b"1\n" * 200_000, b"x" * tabular.CELL_MAX_CHARS])


NUL_DEEP = "phone,first_name\n" + "".join(f"4474001{i:05d},Name{i}\n" for i in range(400)) + "447400999999,B\x00d\n"


def test_a_contact_csv_with_nul_past_its_first_bytes_is_refused_whole(api_client):
    res = api_client.post(
        "/api/v2/contacts/import/subscribers", {"file": upload("c.csv", NUL_DEEP)}, format="multipart"
    )
    assert res.status_code == 422 and res.json()["errors"] == {"file": [tabular.NOT_TEXT]}
    assert not ContactImport.objects.exists()


def test_a_suppression_import_with_nul_is_refused(api_client):
    data = "447400123456\n447400123\x00457\n"
    res = api_client.post(
        "/api/v2/sms/suppressions/unsubscribers/import", {"file": upload("l.csv", data)}, format="multipart"
    )
    assert res.status_code == 422 and res.json()["errors"] == {"file": [tabular.NOT_TEXT]}
    assert not ImportJob.objects.exists()


def test_a_row_holding_nul_is_invalid_and_its_values_are_kept_storably():
    # .xls cells are not text files: their NUL reaches the row check.
    with pytest.raises(RowInvalid, match="The row may not contain NUL characters."):
        parse_row(2, ["447400123456", "B\x00d"], ["phone", "first_name"])
    assert text.shown("B\x00d\ud800") == "B\ufffdd\ufffd" and text.shown("ok \U0001f600") == "ok \U0001f600"
