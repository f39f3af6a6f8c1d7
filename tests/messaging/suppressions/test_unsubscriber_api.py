"""Contract tests: /api/v2/sms/suppressions/unsubscribers (+ import) and the scrubbing helpers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging import consent
from messaging.suppressions import services
from messaging.suppressions.models import ImportJob, Unsubscriber
from portal.core.events.models import Event
from tests import workbook_files

URL = "/api/v2/sms/suppressions/unsubscribers"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_create_normalises_the_number_and_emits_the_event(api_client, account):
    res = api_client.post(URL, {"receiver": "+91 98765-43210", "type": "tag", "value": "promo"}, format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Receiver added successfully" and body["code"] == 200
    data = body["data"]
    assert data["receiver"] == "919876543210" and data["iso"] == "IN"
    assert data["type"] == "tag" and data["value"] == "promo"
    event = Event.objects.get(account=account, type="sms:unsubscription")
    assert event.payload["receiver"] == "919876543210"


def test_defaults_to_everything_and_collapses_duplicates(api_client, account):
    first = api_client.post(URL, {"receiver": "00447400123456"}, format="json").json()["data"]
    again = api_client.post(URL, {"receiver": "+447400123456"}, format="json").json()["data"]
    assert first["type"] == "all" and first["value"] == "*" and first["id"] == again["id"]
    assert Unsubscriber.objects.filter(account=account).count() == 1


def test_service_is_a_synonym_of_product(api_client):
    data = api_client.post(URL, {"receiver": "14155550100", "type": "service", "value": "p"}, format="json").json()
    assert data["data"]["type"] == "product" and data["data"]["value"] == "P"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "receiver"),
        ({"receiver": "12"}, "receiver"),
        ({"receiver": "abc"}, "receiver"),
        ({"receiver": "919876543210", "type": "tag"}, "value"),
        ({"receiver": "919876543210", "type": "x"}, "type"),
    ],
)
def test_bad_input_is_422(api_client, payload, field):
    res = api_client.post(URL, payload, format="json")
    assert res.status_code == 422 and field in res.json()["errors"]


def test_list_filters_show_edit_delete_and_clean(api_client, account, other_account):
    for number in ("919876543210", "919876543211", "447400123456"):
        services.add_unsubscriber(account=account, data={"receiver": number})
    services.add_unsubscriber(account=other_account, data={"receiver": "919999999999"})
    body = api_client.get(URL).json()
    assert body["message"] == "Unsubscribers list" and body["meta"]["total"] == 3
    assert api_client.get(URL, {"filter[iso]": "GB"}).json()["meta"]["total"] == 1
    assert api_client.get(URL, {"filter[receiver]": "9198765"}).json()["meta"]["total"] == 2
    assert api_client.get(URL, {"filter[type]": "all"}).json()["meta"]["total"] == 3
    pk = body["data"][0]["id"]
    assert api_client.get(f"{URL}/{pk}").json()["message"] == "Unsubscribers data"
    res = api_client.put(
        f"{URL}/{pk}", {"receiver": "919876543299", "type": "sender", "value": "ACMEIN"}, format="json"
    )
    assert res.json()["message"] == "Receiver update successfully" and res.json()["data"]["value"] == "ACMEIN"
    assert api_client.delete(f"{URL}/{pk}").json()["message"] == "Deleted Successfully"
    res = api_client.delete(URL)
    assert res.json() == {"status": "OK", "code": 200, "message": "Deleted Successfully", "data": []}
    assert not Unsubscriber.objects.filter(account=account).exists()
    assert Unsubscriber.objects.filter(account=other_account).count() == 1


def test_another_accounts_unsubscriber_is_404(api_client, other_account):
    other = services.add_unsubscriber(account=other_account, data={"receiver": "919999999999"})
    url = f"{URL}/{other.uuid}"
    assert api_client.get(url).status_code == 404
    assert api_client.put(url, {"receiver": "919999999998"}, format="json").status_code == 404
    assert api_client.post(f"{url}?_method=DELETE").status_code == 404
    assert Unsubscriber.objects.filter(pk=other.pk).exists()


def test_import_reports_added_duplicates_and_invalid_rows(api_client, account, django_capture_on_commit_callbacks):
    services.add_unsubscriber(account=account, data={"receiver": "919876543210"})
    content = b"receiver\n919876543210\n+919876543211\nnot-a-number\n919876543211\n\n447400123456\n12\n"
    upload = SimpleUploadedFile("list.csv", content, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(f"{URL}/import", {"file": upload}, format="multipart")
    assert res.status_code == 200
    assert res.json() == {"status": "OK", "message": "Receivers accepted for import"}
    job = ImportJob.objects.get(account=account)
    assert job.status == "done" and job.total == 6
    assert (job.added, job.duplicates, job.invalid) == (2, 2, 2)
    assert [r["row"] for r in job.rejected_sample] == [4, 8]
    assert job.report.read().decode().splitlines()[0] == "row,value,reason"
    assert Unsubscriber.objects.filter(account=account).count() == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.xlsx", b"PK", "not a valid Excel workbook"),
        ("list.pdf", b"%PDF", "csv, txt, xls, xlsx"),
        ("list.csv", b"", "empty"),
    ],
)
def test_import_refuses_unreadable_files(api_client, name, content, message):
    res = api_client.post(f"{URL}/import", {"file": SimpleUploadedFile(name, content)}, format="multipart")
    assert res.status_code == 422 and message in res.json()["message"]


def test_import_needs_a_file(api_client):
    assert api_client.post(f"{URL}/import", {}, format="multipart").json()["errors"]["file"]


def test_scrubbing_helpers_honour_the_scope(account):
    for data in (
        {"receiver": "919876543210"},
        {"receiver": "919876543211", "type": "product", "value": "P"},
        {"receiver": "919876543212", "type": "sender", "value": "ACMEIN"},
        {"receiver": "919876543213", "type": "tag", "value": "vip"},
    ):
        services.add_unsubscriber(account=account, data=data)
    numbers = [f"91987654321{i}" for i in range(5)]
    assert consent.suppressed_set(account, "sms", numbers, product_code="T", sender="OTHERS") == {"919876543210"}
    assert consent.suppressed_set(account, "sms", numbers, product_code="P", sender="acmein", tags=["vip"]) == set(
        numbers[:4]
    )
    assert consent.is_suppressed(account, "sms", "919876543211", product_code="p")
    assert not consent.is_suppressed(account, "whatsapp", "919876543210")


def test_import_reads_the_first_column_of_a_workbook(api_client, account, django_capture_on_commit_callbacks):
    rows = [("receiver", "note"), (919876543210, "a"), ("447400123456", "b"), ("nope", "c")]
    data = workbook_files.zip_of(workbook_files.xlsx_parts(rows))
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(f"{URL}/import", {"file": SimpleUploadedFile("list.xlsx", data)}, format="multipart")
    assert res.json() == {"status": "OK", "message": "Receivers accepted for import"}
    job = ImportJob.objects.get(account=account)
    assert (job.file_format, job.added, job.invalid) == ("xlsx", 2, 1)
    assert api_client.get(res["Location"]).json()["data"]["added"] == 2


def test_import_refuses_a_zip_bomb_before_any_job(api_client):
    upload = SimpleUploadedFile("list.xlsx", workbook_files.bomb())
    res = api_client.post(f"{URL}/import", {"file": upload}, format="multipart")
    assert res.status_code == 422 and "once unpacked" in res.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()
