"""Workbooks in contact imports: the upload request checks only the zip's directory (a zip bomb is
a 422 at once, nothing stored), the rows are read by the inspection job, and a sheet that asks for
unbounded work (rows numbered past a sheet's end, a cell in column ZZZ, a directory that lies)
fails that job with its reason within a second or so."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.imports import services
from contacts.imports.models import ContactImport, ImportStatus
from contacts.models import Contact
from portal.core.errors import ValidationFailed
from tests import workbook_files
from tests.contacts.import_helpers import read_workbook, xlsx_upload

URL = "/api/v2/contacts/import/subscribers"
HTMX = {"HTTP_HX_REQUEST": "true"}


def upload(data, name="contacts.xlsx"):
    return SimpleUploadedFile(name, data)


def test_a_zip_bomb_is_refused_by_the_upload_request_in_milliseconds(api_client):
    bomb = workbook_files.bomb()  # about 3 MB on disk, 1 GB of sheet XML once inflated
    assert len(bomb) < 5 * 1024 * 1024  # inside the catalogued upload limit
    started = time.process_time()  # CPU time: the machine's load does not move it
    res = api_client.post(URL, {"file": upload(bomb)}, format="multipart")
    assert time.process_time() - started < 0.5
    assert res.status_code == 422
    assert res.json()["errors"] == {
        "file": ["The workbook would take 1,024 MB once unpacked; at most 256 MB is read (save the sheet as CSV)."]
    }
    assert not ContactImport.objects.exists()


def test_a_part_compressed_beyond_the_ratio_is_refused(account):
    bomb = workbook_files.bomb(inflated=200 * 1024 * 1024)  # under the size limit, ~300 to 1
    with pytest.raises(ValidationFailed) as exc:
        services.create_import(account=account, upload=upload(bomb))
    assert exc.value.message == (
        "The workbook is compressed more than 100 to 1 (xl/worksheets/sheet1.xml); "
        "it is refused as a possible zip bomb."
    )


def test_the_limits_are_settings(account, settings):
    settings.WORKBOOK_MAX_UNCOMPRESSED_BYTES = 10 * 1024
    with pytest.raises(ValidationFailed, match="at most 10 KB is read"):
        services.create_import(account=account, upload=xlsx_upload([["phone"], ["919876543210"]] * 200))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (workbook_files.far_row(), "The sheet has more than 1,048,576 rows."),
        (
            workbook_files.wide_cell(),
            "Row 1 of the sheet reaches beyond column 256; at most 256 columns are read "
            "(delete the columns after your data).",
        ),
        (workbook_files.lying_bomb(), "The file is not a valid Excel workbook."),
    ],
)
def test_a_sheet_that_asks_for_unbounded_work_fails_its_inspection(account, data, reason):
    job = services.create_import(account=account, upload=upload(data))
    assert job.status == ImportStatus.INSPECTING  # the request stored the file and nothing more
    started = time.process_time()
    job = read_workbook(job)
    assert time.process_time() - started < 3
    assert (job.status, job.error) == (ImportStatus.FAILED, reason)


def test_the_api_import_of_a_workbook_without_an_identity_column_fails_its_job(
    api_client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(URL, {"file": xlsx_upload([["name", "city"], ["Asha", "Pune"]])}, format="multipart")
    assert res.status_code == 200 and res.json()["data"]["status"] == "inspecting"
    job = ContactImport.objects.get(account=account)
    assert job.status == ImportStatus.FAILED
    assert job.error.startswith("The file needs a column named identity")
    shown = api_client.get(f"{URL}/{job.pk}").json()["data"]
    assert (shown["status"], shown["error"]) == ("failed", job.error)


def test_a_cancel_while_the_workbook_is_read_wins(account):
    job = services.create_import(account=account, upload=xlsx_upload([["phone"], ["919876543210"]]))
    services.cancel_import(job=job)
    job = read_workbook(job)
    assert job.status == ImportStatus.CANCELLED and job.total == 0


def test_a_lost_inspection_is_queued_again_then_failed(account, settings, django_capture_on_commit_callbacks):
    job = services.create_import(account=account, upload=xlsx_upload([["phone"], ["919876543210"]]))
    old = job.created_at.replace(year=job.created_at.year - 1)
    ContactImport.objects.filter(pk=job.pk).update(heartbeat_at=old)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.total) == (ImportStatus.MAPPING, 1)

    job = services.create_import(account=account, upload=xlsx_upload([["phone"], ["919876543210"]]))
    ContactImport.objects.filter(pk=job.pk).update(heartbeat_at=old, attempts=services.MAX_ATTEMPTS)
    services.sweep_stale()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "stopped unexpectedly" in job.error


def test_the_page_reads_the_workbook_in_the_background_then_maps_it(
    user_client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        res = user_client.post(
            reverse("contact_imports:import_upload"), {"file": xlsx_upload([["phone", "name"], ["919876543210", "A"]])}
        )
    job = ContactImport.objects.get(account=account)
    assert res.status_code == 302 and job.status == ImportStatus.INSPECTING
    page = user_client.get(reverse("contact_imports:import_detail", args=[job.pk])).content.decode()
    assert "Reading the workbook" in page and 'hx-trigger="every 1s"' in page
    read_workbook(job)
    res = user_client.get(reverse("contact_imports:import_progress", args=[job.pk]), **HTMX)
    assert res["HX-Redirect"] == reverse("contact_imports:import_detail", args=[job.pk])
    page = user_client.get(reverse("contact_imports:import_detail", args=[job.pk])).content.decode()
    assert "Map columns" in page and 'name="column_0"' in page
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("contact_imports:import_start", args=[job.pk]), {"column_0": "phone"})
    assert Contact.objects.filter(account=account, identity="919876543210").exists()


def test_the_page_refuses_a_bomb_on_the_upload_form(user_client):
    res = user_client.post(reverse("contact_imports:import_upload"), {"file": upload(workbook_files.bomb())})
    assert res.status_code == 422 and "once unpacked" in res.content.decode()
    assert not ContactImport.objects.exists()
