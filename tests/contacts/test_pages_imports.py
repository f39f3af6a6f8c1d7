"""Import wizard pages: upload, mapping, start, live progress, cancel, report, delete."""

import pytest
from django.urls import reverse

from contacts.imports import services
from contacts.imports.models import ContactImport, ImportStatus
from contacts.models import Contact
from tests.contacts.import_helpers import csv_upload, read_workbook, xlsx_upload

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CSV = "Mobile,Name,Plan\n919876543210,Asha,gold\nbad,Bo,\n447400123456,Tom,silver\n"


def test_the_list_page_shows_the_upload_form_and_an_empty_state(user_client):
    res = user_client.get(reverse("contact_imports:import_list"))
    assert res.status_code == 200
    html = res.content.decode()
    assert "No imports yet." in html and 'enctype="multipart/form-data"' in html


def test_the_list_filters_by_status_as_an_htmx_fragment(user_client, account):
    done = services.create_import(account=account, upload=csv_upload(CSV, "done.csv"))
    ContactImport.objects.filter(pk=done.pk).update(status=ImportStatus.DONE)
    services.create_import(account=account, upload=csv_upload(CSV, "waiting.csv"))
    res = user_client.get(reverse("contact_imports:import_list"), {"status": "done"}, **HTMX)
    html = res.content.decode()
    assert html.startswith('<div id="import-table"') and "done.csv" in html and "waiting.csv" not in html


def test_the_list_refreshes_itself_while_an_import_runs(user_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    url = reverse("contact_imports:import_list")
    assert 'hx-trigger="every 2s"' not in user_client.get(url).content.decode()
    ContactImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    html = user_client.get(url, **HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in html and "Running" in html


def test_uploading_leads_to_the_mapping_step(user_client, account):
    res = user_client.post(reverse("contact_imports:import_upload"), {"file": csv_upload(CSV)})
    job = ContactImport.objects.get(account=account)
    assert res.status_code == 302 and res["Location"] == reverse("contact_imports:import_detail", args=[job.pk])
    page = user_client.get(res["Location"]).content.decode()
    assert "Which column holds what?" in page
    assert '<option value="phone" selected>' in page
    assert '<option value="attr:plan" selected>' in page
    assert "919876543210" in page  # sample values


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (csv_upload(b"%PDF-1.4", "scan.pdf"), "The file must be a file of type"),
        (csv_upload(b"", "empty.csv"), "file is empty."),
    ],
)
def test_a_bad_upload_is_shown_on_the_form(user_client, upload, message):
    res = user_client.post(reverse("contact_imports:import_upload"), {"file": upload})
    assert res.status_code == 422 and message in res.content.decode()
    assert not ContactImport.objects.exists()


def test_an_oversize_upload_is_refused(user_client, settings):
    settings.CONTACT_IMPORT_MAX_BYTES = 1024 * 1024
    big = csv_upload(b"phone\n" + b"919876543210\n" * 90_000)
    res = user_client.post(reverse("contact_imports:import_upload"), {"file": big})
    assert res.status_code == 422 and "may not be greater than 1 MB" in res.content.decode()


def test_the_header_switch_re_renders_the_mapping(user_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    res = user_client.post(reverse("contact_imports:import_header", args=[job.pk]), {"has_header": "0"}, **HTMX)
    html = res.content.decode()
    assert html.startswith('<section id="import-mapping"') and "Column 1" in html
    job.refresh_from_db()
    assert not job.has_header and job.total == 4


def test_starting_runs_the_import_and_shows_the_result(user_client, account, django_capture_on_commit_callbacks):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    data = {"column_0": "phone", "column_1": "first_name", "column_2": "", "extra_tags": "fair, 2026"}
    with django_capture_on_commit_callbacks(execute=True):
        res = user_client.post(reverse("contact_imports:import_start", args=[job.pk]), data, **HTMX)
    assert res.status_code == 204 and res["HX-Redirect"] == reverse("contact_imports:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.added, job.invalid) == (ImportStatus.DONE, 2, 1)
    assert sorted(Contact.objects.get(identity="919876543210").tags.values_list("name", flat=True)) == ["2026", "fair"]
    page = user_client.get(res["HX-Redirect"]).content.decode()
    assert "Result" in page and 'data-count="added">2<' in page and "Download rejected rows" in page
    assert "every 1s" not in page  # finished: no more polling


def test_a_bad_mapping_re_renders_with_the_error(user_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    data = {"column_0": "first_name", "column_1": "", "column_2": ""}
    res = user_client.post(reverse("contact_imports:import_start", args=[job.pk]), data, **HTMX)
    assert res.status_code == 422 and "Map at least one column" in res.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPING


def test_the_progress_fragment_polls_while_running(user_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    ContactImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed=1)
    from django.utils import timezone

    ContactImport.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    res = user_client.get(reverse("contact_imports:import_progress", args=[job.pk]), **HTMX)
    html = res.content.decode()
    assert html.startswith('<section id="import-progress"')
    assert 'hx-trigger="every 1s"' in html and "1 of 3 rows · 33%" in html and "Cancel import" in html


def test_the_progress_view_recovers_a_stale_job(user_client, account, django_capture_on_commit_callbacks):
    from django.utils import timezone

    job = services.create_import(account=account, upload=csv_upload(CSV))
    old = timezone.now() - services.STALE_AFTER * 3
    ContactImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, heartbeat_at=old, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        user_client.get(reverse("contact_imports:import_progress", args=[job.pk]), **HTMX)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.added == 2


def test_cancel_from_the_progress_fragment(user_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    ContactImport.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    res = user_client.post(reverse("contact_imports:import_cancel", args=[job.pk]), **HTMX)
    assert "Cancelled" in res.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED


def test_the_report_lists_rejected_rows_with_their_values(user_client, account, django_capture_on_commit_callbacks):
    job = read_workbook(services.create_import(account=account, upload=xlsx_upload([["phone", "name"], ["bad", "Bo"]])))
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(job=job, mapping=["phone", "first_name"])
    res = user_client.get(reverse("contact_imports:import_report", args=[job.pk]))
    lines = b"".join(res.streaming_content).decode().splitlines()
    assert lines[0] == "row,status,reason,phone,name"
    assert lines[1].startswith("2,invalid,") and lines[1].endswith(",bad,Bo")


def test_delete_removes_the_record(user_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    res = user_client.post(reverse("contact_imports:import_delete", args=[job.pk]))
    assert res.status_code == 302 and not ContactImport.objects.exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("import_detail", "get"),
        ("import_progress", "get"),
        ("import_report", "get"),
        ("import_header", "post"),
        ("import_start", "post"),
        ("import_cancel", "post"),
        ("import_delete", "post"),
    ],
)
def test_another_accounts_import_is_404(user_client, other_account, name, method):
    job = services.create_import(account=other_account, upload=csv_upload(CSV))
    res = getattr(user_client, method)(reverse(f"contact_imports:{name}", args=[job.pk]))
    assert res.status_code == 404
    assert ContactImport.objects.get(pk=job.pk).status == ImportStatus.MAPPING


def test_pages_need_a_login(client, db):
    res = client.get(reverse("contact_imports:import_list"))
    assert res.status_code == 302 and "/login" in res["Location"]
