"""Contract tests: /api/v2/sms/senders."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from messaging.senders.models import ReviewStatus, Sender

URL = "/api/v2/sms/senders"
FIELDS = {
    "id",
    "name",
    "service",
    "entity_name",
    "entity_id",
    "header_id",
    "iso",
    "message",
    "document",
    "is_open",
    "purpose",
    "status",
    "created_at",
    "updated_at",
}


def test_create_returns_the_pending_sender(api_client, account):
    res = api_client.post(
        URL,
        {
            "name": "acmein",
            "country_code": "in",
            "service": "T",
            "entity_id": "1101234567890",
            "entity_name": "Acme Ltd",
        },
        format="json",
    )
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "Sender Saved Successfully"
    data = body["data"]
    assert set(data) == FIELDS
    assert data["name"] == "ACMEIN" and data["iso"] == "IN" and data["status"] == 0
    assert data["service"] == {"id": data["service"]["id"], "display_name": "Transactional SMS", "name": "T"}
    assert data["created_at"].endswith("Z") and "." in data["created_at"]
    assert AuditEvent.objects.filter(account=account, action="sender.created").exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"country_code": "IN", "service": "T"}, "name", "The name field is required."),
        (
            {"name": "ACME", "country_code": "IN", "service": "T", "entity_id": "1101234567890", "entity_name": "A"},
            "name",
            "Indian transactional and service sender IDs are exactly 6 letters.",
        ),
        (
            {"name": "ACMEXY", "country_code": "IN", "service": "P", "entity_id": "1101234567890", "entity_name": "A"},
            "name",
            "Indian promotional sender IDs are 6 digits.",
        ),
        (
            {"name": "ACMEXY", "country_code": "IN", "service": "T", "entity_name": "A"},
            "entity_id",
            "The entity id field is required for Indian DLT senders.",
        ),
        (
            {"name": "ACMEXY", "country_code": "IN", "service": "T", "entity_id": "12", "entity_name": "A"},
            "entity_id",
            "The entity id must be 12 to 19 digits.",
        ),
        (
            {"name": "ACMEXY", "country_code": "XX", "service": "G"},
            "country_code",
            "The country code must be a 2-letter ISO country code.",
        ),
        (
            {"name": "Way-too-long-sender", "country_code": "GB", "service": "G"},
            "name",
            "A sender ID is up to 11 letters and digits (with at least one letter) or up to 15 digits.",
        ),
        ({"name": "ACME", "country_code": "GB", "service": "ZZZ"}, "service", "The selected service is invalid."),
        (
            {"name": "ACME", "country_code": "GB", "service": "MKT"},
            "service",
            "The service MKT is not enabled for your account.",
        ),
        ({"name": "ACME", "country_code": "GB"}, "service", "The service field is required."),
    ],
)
def test_create_validation(api_client, account, payload, field, message):
    res = api_client.post(URL, payload, format="json")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422
    assert message in body["errors"][field]
    assert not Sender.objects.filter(account=account).exists()


def test_a_duplicate_name_for_the_same_service_is_refused(api_client, sender):
    res = api_client.post(
        URL,
        {"name": "AcmeIN", "country_code": "IN", "service": "T", "entity_id": "1101234567890", "entity_name": "Acme"},
        format="json",
    )
    assert res.status_code == 422
    assert res.json()["errors"]["name"] == ["The name has already been taken for this service."]


def test_list_is_paginated_and_filtered(api_client, account, sender):
    from messaging.senders import services

    for i in range(20):
        services.create_sender(account=account, data={"name": f"Brand{i}", "country_code": "GB", "service": "G"})
    body = api_client.get(URL).json()
    assert body["message"] == "Senders List" and len(body["data"]) == 15 and body["meta"]["total"] == 21
    body = api_client.get(URL, {"filter[name]": "brand1"}).json()
    assert {d["name"] for d in body["data"]} == {"Brand1", *{f"Brand1{i}" for i in range(10)}}


def test_list_never_shows_another_accounts_senders(api_client, other_sender):
    assert api_client.get(URL).json()["data"] == []


def test_show_edit_delete(api_client, sender):
    url = f"{URL}/{sender.uuid}"
    body = api_client.get(url).json()
    assert body["message"] == "Sender Data" and body["data"]["id"] == str(sender.uuid)
    res = api_client.put(url, {"entity_name": "Acme Holdings"}, format="json")
    assert res.json()["message"] == "Sender Updated Successfully"
    assert res.json()["data"]["entity_name"] == "Acme Holdings"
    res = api_client.delete(url)
    assert res.json() == {"status": "OK", "code": 200, "message": "Deleted Successfully", "data": []}
    assert api_client.get(url).status_code == 404


def test_method_override_edits_and_deletes(api_client, sender):
    url = f"{URL}/{sender.uuid}"
    assert api_client.post(f"{url}?_method=PUT", {"entity_name": "Via POST"}, format="json").status_code == 200
    assert api_client.post(f"{url}?_method=DELETE").json()["message"] == "Deleted Successfully"


def test_an_edit_sends_an_approved_sender_back_to_review(api_client, approved_sender):
    url = f"{URL}/{approved_sender.uuid}"
    assert api_client.get(url).json()["data"]["status"] == ReviewStatus.APPROVED
    assert api_client.put(url, {"entity_name": "New name"}, format="json").json()["data"]["status"] == 0


def test_an_approved_sender_id_cannot_be_renamed(api_client, approved_sender):
    res = api_client.put(f"{URL}/{approved_sender.uuid}", {"name": "OTHERS"}, format="json")
    assert res.status_code == 422
    assert res.json()["errors"]["name"] == ["Existing sender IDs cannot be changed. Apply for a new one."]


def test_a_sender_with_templates_cannot_be_deleted(api_client, template):
    res = api_client.delete(f"{URL}/{template.sender.uuid}")
    assert res.status_code == 409
    assert res.json()["message"] == "This sender still has templates. Delete them first."


@pytest.mark.parametrize("pk", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_ids_are_404(api_client, db, pk):
    res = api_client.get(f"{URL}/{pk}")
    assert res.status_code == 404 and res.json()["status"] == "failed"


def test_another_accounts_sender_is_404_for_every_verb(api_client, other_sender):
    url = f"{URL}/{other_sender.uuid}"
    assert api_client.get(url).status_code == 404
    assert api_client.put(url, {"entity_name": "x"}, format="json").status_code == 404
    assert api_client.delete(url).status_code == 404
    assert Sender.objects.filter(pk=other_sender.pk).exists()


def test_a_document_is_uploaded_and_validated(api_client, account):
    pdf = SimpleUploadedFile("loa.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    res = api_client.post(
        URL, {"name": "Docs", "country_code": "GB", "service": "G", "document": pdf}, format="multipart"
    )
    assert res.status_code == 200 and res.json()["data"]["document"].endswith("/document/")
    exe = SimpleUploadedFile("loa.exe", b"MZ", content_type="application/octet-stream")
    res = api_client.post(
        URL, {"name": "Docs2", "country_code": "GB", "service": "G", "document": exe}, format="multipart"
    )
    assert res.status_code == 422 and "document" in res.json()["errors"]


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_document_sent_as_text_is_a_422_not_a_crash(api_client, account, fmt, sender):
    body = {"name": "Docs", "country_code": "GB", "service": "G", "document": "https://example.com/loa.pdf"}
    res = api_client.post(URL, body, format=fmt)
    assert res.status_code == 422
    assert res.json()["errors"]["document"] == ["The document must be a file."]
    res = api_client.put(f"{URL}/{sender.uuid}", {"document": "{}"}, format=fmt)
    assert res.status_code == 422 and res.json()["errors"]["document"] == ["The document must be a file."]
