"""Contract tests: /api/v2/sms/suppressions/templates (+ import by file or URL, SSRF-safe)."""

import socket

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.suppressions import fetch as fetch_module
from messaging.suppressions import services
from messaging.suppressions.models import BlockedTemplate, ImportJob

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


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "http://user:pw@example.com/x"])
def test_import_by_url_refuses_other_schemes_and_credentials(api_client, url):
    assert api_client.post(f"{URL}/import", {"url": url}, format="json").status_code == 422


def test_a_redirect_to_a_private_address_is_refused(monkeypatch):
    answers = {"public.example": "93.184.216.34", "internal.example": "10.0.0.8"}
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: [(socket.AF_INET, 1, 6, "", (answers[host], 0))])

    def handler(request):
        assert request.url.host == "93.184.216.34"  # pinned to the checked address
        return httpx.Response(302, headers={"location": "http://internal.example/secret"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(fetch_module.FetchRefused, match="private"):
        fetch_module.fetch("http://public.example/ids.csv", max_bytes=1000, client=client)


def test_a_public_url_is_fetched_pinned_and_size_limited(monkeypatch):
    _resolve_to(monkeypatch, "93.184.216.34")
    seen = {}

    def handler(request):
        seen["host_header"] = request.headers["host"]
        return httpx.Response(200, content=b"111\n222\n")

    client = httpx.Client(transport=httpx.MockTransport(handler))
    assert fetch_module.fetch("http://files.example.com/ids.csv", max_bytes=100, client=client) == b"111\n222\n"
    assert seen["host_header"] == "files.example.com"
    with pytest.raises(fetch_module.FetchRefused, match="larger"):
        fetch_module.fetch("http://files.example.com/ids.csv", max_bytes=3, client=client)
