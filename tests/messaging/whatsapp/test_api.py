"""Step three: contract tests of every catalogued WhatsApp operation (status, envelope, message,
fields, 422s) and of `sms/message/send` with a whatsapp channel."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from messaging.channels.whatsapp import window
from messaging.channels.whatsapp.models import StatusRecord, TemplateStatus, WhatsappTemplate
from messaging.pipeline import receipts
from messaging.pipeline.models import Message
from messaging.suppressions.models import Unsubscriber
from tests.messaging.whatsapp.conftest import BUSINESS, CUSTOMER, OTHER_CUSTOMER, meta_template_data

pytestmark = pytest.mark.django_db
ITEM_FIELDS = {"id", "channel", "from", "to", "credits", "created_at", "status", "foreign_id"}


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_create_list_show_delete_templates(api_client, business_number):
    res = post(api_client, "/api/v2/whatsapp/templates", meta_template_data())
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["status"] == "OK" and body["message"] == "Template created successfully."
    assert set(body["data"]) == {"id", "name", "category", "language", "status", "is_conversation", "created_at"}
    assert body["data"]["status"] == "PENDING" and body["data"]["is_conversation"] == "false"
    service = {"type": "JSON", "name": "catalogue", "category": "marketing", "language": "en_US", "is_conversation": True,  # noqa: E501
               "number": BUSINESS, "payload": {"type": "json", "payload": {"text": {"items": [1, 2]}}}}  # fmt: skip
    assert post(api_client, "/api/v2/whatsapp/templates", service).status_code == 200

    listed = api_client.get("/api/v2/whatsapp/templates").json()
    assert listed["message"] == "Templates List" and {"links", "meta"} <= set(listed)
    first = listed["data"][0]
    assert set(first) >= {"id", "name", "alias", "number", "type", "category", "language", "body", "payload", "status",
                          "created_at", "updated_at"}  # fmt: skip
    assert isinstance(first["payload"], str) and json.loads(first["payload"])
    assert [t["type"] for t in api_client.get("/api/v2/whatsapp/templates?filter[type]=JSON").json()["data"]] == [
        "JSON"
    ]
    pending = api_client.get("/api/v2/whatsapp/templates?filter[status]=2").json()["data"]
    assert [t["name"] for t in pending] == ["order_update"] and pending[0]["status"] == "Pending"
    assert [t["name"] for t in api_client.get("/api/v2/whatsapp/templates?filter[status]=1").json()["data"]] == [
        "catalogue"
    ]
    assert api_client.get("/api/v2/whatsapp/templates?filter[status]=9").status_code == 422

    shown = api_client.get(f"/api/v2/whatsapp/templates/{body['data']['id']}").json()
    assert shown["message"] == "Templates List" and shown["data"]["id"] == body["data"]["id"]
    deleted = api_client.delete(f"/api/v2/whatsapp/templates/{body['data']['id']}").json()
    assert deleted == {"status": "OK", "code": 200, "message": "Template Successfully Deleted", "data": []}
    assert api_client.get(f"/api/v2/whatsapp/templates/{body['data']['id']}").status_code == 404


def test_template_limits_are_422_with_the_field(api_client, business_number):
    data = meta_template_data()
    data["payload"]["body"]["payload"]["text"] = "x" * 1025
    res = post(api_client, "/api/v2/whatsapp/templates", data)
    assert res.status_code == 422 and "payload.body.payload.text" in res.json()["errors"]
    assert "1024" in res.json()["errors"]["payload.body.payload.text"][0]
    res = post(api_client, "/api/v2/whatsapp/templates", meta_template_data(number="919000000009"))
    assert res.status_code == 422 and "number" in res.json()["errors"]
    assert not WhatsappTemplate.objects.exists()


def _send(client, message, to=(CUSTOMER,), **entry):
    body = {
        "channels": [{"name": "whatsapp", "from": BUSINESS, **entry}],
        "recipient": {"to": list(to)},
        "message": message,
    }
    return post(client, "/api/v2/whatsapp/message/send", body)


def test_message_send_inside_and_outside_the_window(api_client, open_window):
    res = _send(api_client, {"type": "text", "payload": {"text": "Hello"}}, to=(CUSTOMER, OTHER_CUSTOMER),
                meta={"foreign_id": "order-7"})  # fmt: skip
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "OK" and body["message"] == "Messages queued successfully"
    inside, outside = body["data"]
    assert set(inside) >= ITEM_FIELDS and inside["status"] == "queued" and inside["foreign_id"] == "order-7"
    assert inside["channel"] == "whatsapp" and inside["from"] == BUSINESS and ":" in inside["id"]
    assert outside["status"] == "notallowed" and outside["error"]["code"] == "131047" and outside["credits"] == 0


@pytest.mark.parametrize(
    "message",
    [
        {"type": "image", "payload": {"url": "https://cdn.example.com/a.png", "caption": "Look"}},
        {"type": "document", "payload": {"url": "https://cdn.example.com/a.pdf", "filename": "a.pdf"}},
        {"type": "audio", "payload": {"url": "https://cdn.example.com/a.aac"}},
        {"type": "video", "payload": {"url": "https://cdn.example.com/a.mp4"}},
        {"type": "location", "payload": {"latitude": 12.97, "longitude": 77.59, "name": "Office"}},
        {"type": "contacts", "payload": {"addresses": [{"city": "Pune"}], "phones": [{"phone": "+919876543210"}],
                                         "emails": [{"email": "a@example.com"}], "urls": [{"url": "https://e.com"}],
                                         "name": {"first_name": "A", "formatted_name": "A B"}, "org": {"company": "Acme"}}},  # noqa: E501
        {"type": "interactive", "payload": {"type": "reply", "body": {"type": "text", "payload": {"text": "Pick"}},
                                            "choices": [{"type": "reply", "payload": {"title": "Yes", "id": "y"}}]}},
    ],
)  # fmt: skip
def test_every_free_form_type_is_accepted(api_client, open_window, message):
    res = _send(api_client, message)
    assert res.status_code == 200 and res.json()["data"][0]["status"] == "queued", res.json()
    stored = Message.objects.get()
    assert stored.content["type"] == message["type"]


def test_meta_template_send_simple_and_hsm_forms(api_client, approved_template):
    simple = {"type": "template", "payload": {"name": "order-update", "header_params": {"type": "text", "payload": {"text": "A1"}},  # noqa: E501
                                             "body_params": ["Asha", "today"]}}  # fmt: skip
    assert _send(api_client, simple).json()["data"][0]["status"] == "queued"
    hsm = {"type": "template", "payload": {"name": "order-update", "language": "en", "components": [
        {"type": "header", "parameters": [{"type": "text", "text": "A2"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ravi"}, {"type": "text", "text": "now"}]},
        {"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "T"}]}]}}  # fmt: skip # noqa: E501
    res = _send(api_client, hsm, to=(OTHER_CUSTOMER,))
    assert res.json()["data"][0]["status"] == "queued", res.json()
    wrong = {"type": "template", "payload": {"name": "order-update", "body_params": ["only one"]}}
    res = _send(api_client, wrong)
    assert res.status_code == 422 and "message.payload.body_params" in res.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": {"to": [CUSTOMER]}, "message": {"type": "text", "payload": {"text": "x"}}}, "channels"),
        ({"channels": [{"name": "whatsapp"}], "recipient": {"to": [CUSTOMER]},
          "message": {"type": "text", "payload": {"text": "x"}}}, "channels.0.from"),
        ({"channels": [{"name": "whatsapp", "from": BUSINESS}], "message": {"type": "text", "payload": {"text": "x"}}},
         "recipient"),
        ({"channels": [{"name": "whatsapp", "from": BUSINESS}], "recipient": {"to": [CUSTOMER]},
          "message": {"type": "text", "payload": {"text": "x" * 4097}}}, "message.payload.text"),
        ({"channels": [{"name": "whatsapp", "from": BUSINESS}], "recipient": {"to": [CUSTOMER]},
          "message": {"type": "fax", "payload": {}}}, "message.type"),
    ],
)  # fmt: skip
def test_message_send_422s(api_client, business_number, body, field):
    res = post(api_client, "/api/v2/whatsapp/message/send", body)
    assert res.status_code == 422 and field in res.json()["errors"], res.json()
    assert res.json()["status"] == "failed" and res.json()["code"] == 422
    assert not Message.objects.exists()


def test_the_generic_channel_send_takes_whatsapp(api_client, open_window):
    body = {"channels": [{"name": "whatsapp", "from": BUSINESS}], "recipient": {"to": [CUSTOMER]},
            "message": {"type": "text", "payload": {"text": "Via SMS endpoint"}}}  # fmt: skip
    res = post(api_client, "/api/v2/sms/message/send", body)
    assert res.status_code == 200, res.json()
    assert res.json()["data"][0]["channel"] == "whatsapp" and res.json()["data"][0]["status"] == "queued"


def test_service_template_send(api_client, account, open_window):
    from messaging.channels.whatsapp import message_templates

    message_templates.create(account=account, data={
        "type": "text", "name": "greeting", "category": "marketing", "language": "en", "is_conversation": True,
        "number": BUSINESS, "payload": {"type": "text", "payload": {"text": "Hello {{name}}"}}})  # fmt: skip
    body = {"alias": "greeting", "data": {"name": "Asha"}, "recipient": {"to": [CUSTOMER, OTHER_CUSTOMER]},
            "meta": {"foreign_id": "f-1"}}  # fmt: skip
    res = post(api_client, "/api/v2/whatsapp/send/template", body)
    assert res.status_code == 200 and res.json()["message"] == "Messages queued successfully"
    first, second = res.json()["data"]
    assert first["recipient"] == CUSTOMER and "to" not in first and first["status"] == "queued"
    assert second["status"] == "notallowed"  # a service template is free-form: outside the window
    assert Message.objects.get(index=1).text == "Hello Asha"
    missing = post(api_client, "/api/v2/whatsapp/send/template", {**body, "data": {}})
    assert missing.status_code == 422 and "data.name" in missing.json()["errors"]
    unknown = post(api_client, "/api/v2/whatsapp/send/template", {**body, "alias": "nope"})
    assert unknown.status_code == 422 and "alias" in unknown.json()["errors"]


def test_status_pull(api_client, open_window):
    item = _send(api_client, {"type": "text", "payload": {"text": "Track me"}}).json()["data"][0]
    Message.objects.update(supplier="cloud_api", supplier_message_id="wamid.T1", state="submitted", progress=2)
    now = timezone.now()
    StatusRecord.objects.create(account=open_window.account, wamid="wamid.T1", status="delivered", at=now)
    StatusRecord.objects.create(
        account=open_window.account, wamid="wamid.T1", status="read", at=now + timedelta(seconds=5)
    )
    receipts.apply_receipt(
        channel="whatsapp", supplier="cloud_api", supplier_message_id="wamid.T1", status="read", code=""
    )
    res = api_client.get(f"/api/v2/whatsapp/message/status?id={item['id']}")
    body = res.json()
    assert res.status_code == 200 and body["status"] == "OK" and body["message"] == "OK" and body["code"] == 200
    row = body["data"][0]
    assert row["status"] == "read" and row["credits"] == "0.1000" and row["read_at"].endswith("Z")
    assert len(row["delivered_at"]) == 19
    assert [r["id"] for r in api_client.get(f"/api/v2/whatsapp/message/status?mobile=+{CUSTOMER}").json()["data"]] == [
        item["id"]
    ]
    assert api_client.get("/api/v2/whatsapp/message/status").status_code == 422
    assert api_client.get("/api/v2/whatsapp/message/status?id=nonsense").status_code == 422
    assert api_client.get(f"/api/v2/whatsapp/message/status?id={item['id'][:-1]}9").json()["data"] == []


def test_pricing(api_client, business_number):
    body = api_client.get("/api/v2/whatsapp/pricing?filter[subservice]=WMC").json()
    assert body["message"] == "Pricing List"
    assert [(p["service"], p["sub_service"], p["sale_price"], p["service_name"]) for p in body["data"]] == [
        ("WAP", "WMC", "0.8000", "Whatsapp")
    ]
    assert len(api_client.get("/api/v2/whatsapp/pricing?filter[iso]=IN&filter[service]=WAP").json()["data"]) == 5
    assert api_client.get("/api/v2/whatsapp/pricing?filter[subservice]=XYZ").status_code == 422


def test_optout_add_and_remove(api_client, account, open_window):
    res = post(api_client, "/api/v2/whatsapp/optout", {"number": "+" + CUSTOMER})
    body = res.json()
    assert res.status_code == 200 and body["message"] == "Number added to optout list"
    assert set(body["data"]) == {"receiver", "iso", "created_at", "id"} and isinstance(body["data"]["id"], int)
    item = _send(api_client, {"type": "text", "payload": {"text": "Opted out?"}}).json()["data"][0]
    assert item["status"] == "notallowed" and item["error"]["code"] == "OPTOUT"
    assert post(api_client, "/api/v2/whatsapp/optout", {}).status_code == 422
    gone = api_client.delete(f"/api/v2/whatsapp/optout/{CUSTOMER}")
    assert gone.json() == {"status": "OK", "code": 200, "message": "Deleted successfully", "data": []}
    assert api_client.delete(f"/api/v2/whatsapp/optout/{CUSTOMER}").status_code == 404


def test_unsubscribers_are_the_whatsapp_list(api_client, account):
    res = post(api_client, "/api/v2/whatsapp/suppressions/unsubscribers", {"receiver": CUSTOMER, "type": "all"})
    assert res.status_code == 200 and res.json()["message"] == "Receiver added successfully"
    assert Unsubscriber.objects.get().channel == "whatsapp"
    assert api_client.get("/api/v2/sms/suppressions/unsubscribers").json()["data"] == []
    listed = api_client.get("/api/v2/whatsapp/suppressions/unsubscribers").json()
    assert listed["message"] == "Unsubscribers list" and len(listed["data"]) == 1
    pk = listed["data"][0]["id"]
    assert api_client.get(f"/api/v2/whatsapp/suppressions/unsubscribers/{pk}").json()["message"] == "Unsubscribers data"
    edited = api_client.put(f"/api/v2/whatsapp/suppressions/unsubscribers/{pk}",
                            json.dumps({"receiver": CUSTOMER, "type": "product", "value": "WMC"}), content_type="application/json")  # fmt: skip # noqa: E501
    assert edited.json()["message"] == "Receiver update successfully"
    upload = SimpleUploadedFile("u.csv", f"receiver\n{OTHER_CUSTOMER}\n".encode(), content_type="text/csv")
    imported = api_client.post("/api/v2/whatsapp/suppressions/unsubscribers/import", {"file": upload})
    assert imported.json() == {"status": "OK", "message": "Receivers accepted for import"}
    assert (
        api_client.delete(f"/api/v2/whatsapp/suppressions/unsubscribers/{pk}").json()["message"]
        == "Deleted Successfully"
    )
    assert api_client.delete("/api/v2/whatsapp/suppressions/unsubscribers").json()["message"] == "Deleted Successfully"


def test_window_refresh_never_shortens(business_number):
    now = timezone.now()
    window.refresh(business_number, CUSTOMER, now)
    window.refresh(business_number, CUSTOMER, now - timedelta(hours=3))  # a late webhook
    assert window.remaining(business_number, CUSTOMER, now) == timedelta(hours=24)


def test_templates_of_another_account_are_not_found(api_client, other_account, approved_template):
    WhatsappTemplate.objects.filter(pk=approved_template.pk).update(account=other_account)
    assert api_client.get(f"/api/v2/whatsapp/templates/{approved_template.uuid}").status_code == 404
    assert api_client.get("/api/v2/whatsapp/templates").json()["data"] == []
    assert approved_template.status == TemplateStatus.APPROVED
