"""Contract tests: /api/v2/sms/suppressions/templates (+ import by file or URL, SSRF-safe). A URL
is checked when the import is submitted and downloaded by its job: a slow, refused or hostile
server fails the job with a reason, never the request."""

import socket
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from messaging.suppressions import services
from messaging.suppressions.models import BlockedTemplate, ImportJob
from tests import loopback, workbook_files

URL = "/api/v2/sms/suppressions/templates"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_crud(api_client, account):
    res = api_client.post(URL, {"template_id": "1107161521283358301", "status": "1"}, format="json")
    assert res.json()["message"] == "Block template added successfully"
    data = res.json()["data"]
    assert data["template_id"] == "1107161521283358301" and data["status"] == 1
    assert api_client.post(URL, {"template_id": "1107161521283358301"}, format="json").status_code == 422
    assert api_client.post(URL, {"template_id": "12x"}, format="json").status_code == 422
    assert api_client.post(URL, {"template_id": "1", "status": "9"}, format="json").json()["errors"]["status"]
    pk = data["id"]
    assert api_client.get(f"{URL}/{pk}").json()["message"] == "Block template data"
    res = api_client.put(f"{URL}/{pk}", {"status": "0"}, format="json")
    assert res.json()["message"] == "Block template updated successfully" and res.json()["data"]["status"] == 0
    assert not services.is_blocked(account, "1107161521283358301")
    body = api_client.get(URL, {"filter[status]": "0"}).json()
    assert body["message"] == "Block templates list" and body["meta"]["total"] == 1
    assert api_client.delete(f"{URL}/{pk}").json()["data"] == []
    api_client.post(URL, {"template_id": "555"}, format="json")
    assert services.blocked_template_ids(account) == {"555"}
    assert api_client.delete(URL).json()["message"] == "Deleted Successfully"
    assert not BlockedTemplate.objects.filter(account=account).exists()


def test_another_accounts_block_is_404(api_client, other_account):
    block = services.add_blocked_template(account=other_account, data={"template_id": "42"})
    assert api_client.get(f"{URL}/{block.uuid}").status_code == 404
    assert api_client.delete(f"{URL}/{block.uuid}").status_code == 404
    api_client.delete(URL)
    assert BlockedTemplate.objects.filter(pk=block.pk).exists()


def test_import_by_file(api_client, account, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("ids.txt", b"template_id\n111\n222\n111\nabc\n")
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(f"{URL}/import", {"file": upload}, format="multipart")
    assert res.json() == {"status": "OK", "code": 200, "message": "Blocked templates accepted for import", "data": []}
    job = ImportJob.objects.get(account=account)
    assert (job.added, job.duplicates, job.invalid) == (2, 1, 1)
    assert services.blocked_template_ids(account) == {"111", "222"}


def _resolve_to(monkeypatch, address):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: [(socket.AF_INET, 1, 6, "", (address, 0))])


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.5", "0.0.0.0"])
def test_import_by_url_refuses_private_addresses(api_client, monkeypatch, address):
    _resolve_to(monkeypatch, address)
    res = api_client.post(f"{URL}/import", {"url": "http://files.example.com/ids.csv"}, format="json")
    assert res.status_code == 422
    assert res.json()["errors"]["url"] == ["The URL points to a private or reserved address."]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "http://user:pw@example.com/x"])
def test_import_by_url_refuses_other_schemes_and_credentials(api_client, url):
    assert api_client.post(f"{URL}/import", {"url": url}, format="json").status_code == 422


def test_a_host_that_does_not_resolve_is_a_422_on_the_field(api_client, monkeypatch):
    def unknown(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    res = api_client.post(f"{URL}/import", {"url": "http://nowhere.example/ids.csv"}, format="json")
    assert res.status_code == 422
    assert res.json()["errors"] == {"url": ["The host nowhere.example could not be resolved."]}


@pytest.fixture
def loopback_urls(settings):
    settings.IMPORT_URLS_ALLOW_LOOPBACK = True
    settings.OUTBOUND_RATE_WINDOW_SECONDS = 1
    settings.OUTBOUND_MIN_BYTES_PER_SECOND = 100
    settings.OUTBOUND_DOWNLOAD_DEADLINE_SECONDS = 5


def _import_url(api_client, url, capture):
    """POST the URL import, timing the request alone; then run the job (on commit)."""
    started = time.monotonic()
    with capture(execute=False) as callbacks:
        res = api_client.post(f"{URL}/import", {"url": url}, format="json")
    answered = loopback.elapsed(started)
    assert res.status_code == 200, res.content
    assert res.json() == {"status": "OK", "code": 200, "message": "Blocked templates accepted for import", "data": []}
    assert answered < 3, "the request must not download"
    for callback in callbacks:
        callback()
    return res, ImportJob.objects.get()


def test_a_url_import_downloads_in_the_job(api_client, account, loopback_urls, django_capture_on_commit_callbacks):
    with loopback.Server(loopback.ok(b"template_id\n111\n222\n")) as server:
        res, job = _import_url(api_client, server.url(), django_capture_on_commit_callbacks)
    assert (job.status, job.added, job.source_url, job.filename) == ("done", 2, server.url(), "ids.csv")
    assert services.blocked_template_ids(account) == {"111", "222"}
    shown = api_client.get(res["Location"]).json()
    assert (shown["message"], shown["data"]["status"], shown["data"]["added"]) == ("Import data", "done", 2)


def test_a_dripping_server_fails_the_job_not_the_request(
    api_client, account, loopback_urls, django_capture_on_commit_callbacks
):
    # The finding: a byte every 2 s held a web worker 36 s, then a 500.
    started = time.monotonic()
    with loopback.Server(loopback.drip(every=0.5)) as server:
        res, job = _import_url(api_client, server.url(), django_capture_on_commit_callbacks)
    assert loopback.elapsed(started) < 6  # one 1 s window, and slack for a loaded machine
    reason = (
        "The file could not be downloaded: The download was too slow: the server sent less than 100 bytes/s for 1 s."
    )
    assert (job.status, job.error) == ("failed", reason)
    assert api_client.get(res["Location"]).json()["data"]["error"] == reason
    assert not BlockedTemplate.objects.exists()


def test_a_refused_port_fails_the_job_with_the_reason(
    api_client, account, loopback_urls, django_capture_on_commit_callbacks
):
    # The finding: connection refused was a 500.
    url = f"http://127.0.0.1:{loopback.refused_port()}/ids.csv"
    res, job = _import_url(api_client, url, django_capture_on_commit_callbacks)
    assert (job.status, job.error) == (
        "failed",
        "The file could not be downloaded: The server refused the connection.",
    )


def test_a_server_that_never_finishes_is_stopped_at_the_deadline(
    api_client, account, loopback_urls, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_DOWNLOAD_DEADLINE_SECONDS = 1.5
    with loopback.Server(loopback.endless()) as server:
        _, job = _import_url(api_client, server.url(), django_capture_on_commit_callbacks)
    assert job.error == "The file could not be downloaded: The download took longer than 1.5 s."


def test_a_redirect_to_a_private_address_fails_the_job(
    api_client, account, loopback_urls, django_capture_on_commit_callbacks
):
    with loopback.Server(loopback.redirect("http://10.0.0.8/secret")) as server:
        _, job = _import_url(api_client, server.url(), django_capture_on_commit_callbacks)
    assert job.error == "The file could not be downloaded: The URL points to a private or reserved address."


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "The file could not be imported: the URL answered an empty file."),
        (b"111\n\x00\x00\n", "The downloaded file could not be imported: The file is not a text file"),
        (b"1" * (128 * 1024 + 1) + b"\n", "The downloaded file could not be imported: The file has a cell larger"),
        (workbook_files.bomb(), "The downloaded file could not be imported: The workbook would take 1,024 MB"),
    ],
)
def test_downloaded_content_gets_the_upload_checks(
    api_client, account, loopback_urls, django_capture_on_commit_callbacks, body, reason
):
    with loopback.Server(loopback.ok(body)) as server:
        _, job = _import_url(api_client, server.url(), django_capture_on_commit_callbacks)
    assert job.status == "failed" and job.error.startswith(reason)
    assert not BlockedTemplate.objects.exists()


def test_a_downloaded_workbook_is_read(api_client, account, loopback_urls, django_capture_on_commit_callbacks):
    body = workbook_files.zip_of(workbook_files.xlsx_parts([("template_id",), ("1107161521283358301",), (222,)]))
    with loopback.Server(loopback.ok(body, content_type="application/octet-stream")) as server:
        _, job = _import_url(api_client, server.url("/blocked.xlsx"), django_capture_on_commit_callbacks)
    assert (job.status, job.file_format, job.added) == ("done", "xlsx", 2)
    assert services.blocked_template_ids(account) == {"1107161521283358301", "222"}


def test_another_accounts_import_job_is_a_404(api_client, other_account):
    job = ImportJob.objects.create(account=other_account, kind="blocked_templates", filename="x.csv")
    assert api_client.get(f"/api/v2/sms/suppressions/imports/{job.uuid}").status_code == 404


def test_the_page_imports_from_a_url(user_client, account, loopback_urls, django_capture_on_commit_callbacks):
    with loopback.Server(loopback.ok(b"333\n")) as server, django_capture_on_commit_callbacks(execute=True):
        res = user_client.post(
            reverse("suppressions:import_start", args=["blocked-templates"]), {"url": server.url()}, follow=True
        )
    assert "Import of ids.csv started." in res.content.decode()
    assert services.blocked_template_ids(account) == {"333"}
    res = user_client.post(
        reverse("suppressions:import_start", args=["blocked-templates"]), {"url": "ftp://x.example/a"}, follow=True
    )
    assert "Only http and https URLs are allowed." in res.content.decode()
    page = user_client.get(reverse("suppressions:blocked_list")).content.decode()
    assert 'name="url"' in page
