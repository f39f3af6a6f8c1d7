"""Contract tests: /api/v2/contacts (list, create, show, edit, delete) and /api/v2/contacts/merge."""

import pytest

from accounts.models import AuditEvent
from contacts.models import Contact, ContactTag, Identifier, Segment, SegmentMember, Subscription, Tag
from contacts.services import contacts as services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from portal.core.events.models import Event

URL = "/api/v2/contacts"
BODY = {
    "identity": "demo@gmail.com",
    "phone": "+6590296448",
    "email": "Demo@Gmail.com",
    "first_name": "Demo",
    "last_name": "Test",
    "gender": "male",
    "birth_date": "1996-07-16",
    "city": "Singapore",
    "attributes": {"membership": "platinum", "status": "vip"},
    "tags": ["premium 1", "vip"],
}


def make_contact(account, identity="c1", phone="919876543210", **extra):
    return services.create_contact(account=account, data={"identity": identity, "phone": phone, **extra})


def test_create_returns_the_contact_and_emits_the_event(api_client, account):
    res = api_client.post(URL, BODY, format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "Subscriber created successfully"
    data = body["data"]
    assert isinstance(data["id"], int)
    assert data == {
        **data,
        "identity": "demo@gmail.com",
        "first_name": "Demo",
        "middle_name": None,
        "last_name": "Test",
        "gender": "male",
        "birth_date": "1996-07-16",
        "company": None,
        "email": "demo@gmail.com",
        "phone": "6590296448",
        "city": "Singapore",
        "attributes": {"membership": "platinum", "status": "vip"},
        "tags": ["premium 1", "vip"],
    }
    assert data["created_at"].endswith("Z") and len(data["created_at"]) == 27
    contact = Contact.objects.get(pk=data["id"])
    assert contact.account == account
    assert set(Identifier.objects.filter(contact=contact).values_list("type", "value")) == {
        ("phone", "6590296448"),
        ("email", "demo@gmail.com"),
    }
    event = Event.objects.get(account=account, type="contacts:subscriber:subscription")
    assert event.payload["id"] == data["id"] and event.payload["status"] == "Subscriber created successfully"
    assert event.payload["attributes"] == {"membership": "platinum", "status": "vip"}
    assert AuditEvent.objects.filter(account=account, action="contact.created").exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"phone": "919876543210"}, "identity", "The identity field is required."),
        ({"identity": "a b", "phone": "919876543210"}, "identity", "The identity may not contain spaces."),
        ({"identity": "x"}, "phone", "The phone field is required."),
        ({"identity": "x", "phone": "12"}, "phone", None),
        ({"identity": "x", "phone": "919876543210", "email": "nope"}, "email", None),
        ({"identity": "x", "phone": "919876543210", "gender": "other"}, "gender", None),
        ({"identity": "x", "phone": "919876543210", "birth_date": "16-07-1996"}, "birth_date", None),
        ({"identity": "x", "phone": "919876543210", "attributes": "vip"}, "attributes", None),
        ({"identity": "x", "phone": "919876543210", "attributes": {"a": {"b": 1}}}, "attributes.a", None),
        ({"identity": "x", "phone": "919876543210", "tags": "x" * 101}, "tags.0", None),
    ],
)
def test_bad_input_is_422_in_the_error_shape(api_client, payload, field, message):
    res = api_client.post(URL, payload, format="json")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422 and field in body["errors"]
    if message:
        assert body["message"] == message and body["errors"][field] == [message]


def test_duplicate_identity_and_phone_are_refused(api_client, account):
    make_contact(account, identity="demo@gmail.com", phone="+6590296448")
    res = api_client.post(URL, BODY, format="json")
    assert res.status_code == 422
    errors = res.json()["errors"]
    assert errors["identity"] == ["The identity has already been taken."]
    assert errors["phone"] == ["The phone has already been taken."]


def test_the_same_identity_in_another_account_is_fine(api_client, other_account):
    make_contact(other_account, identity="demo@gmail.com", phone="+6590296448")
    assert api_client.post(URL, BODY, format="json").status_code == 200


def test_list_is_paginated_filtered_and_scoped(api_client, account, other_account, django_assert_max_num_queries):
    for i in range(17):
        make_contact(account, identity=f"c{i}", phone=f"9198765432{i:02d}", tags=["vip"] if i % 2 else [])
    make_contact(other_account, identity="theirs", phone="919999999999")
    with django_assert_max_num_queries(8):
        res = api_client.get(URL)
    body = res.json()
    assert res.status_code == 200 and body["message"] == "OK"
    assert len(body["data"]) == 15 and body["meta"]["total"] == 17 and body["meta"]["last_page"] == 2
    assert body["links"]["next"].endswith("/api/v2/contacts?page=2")
    assert {c["identity"] for c in body["data"]}.isdisjoint({"theirs"})
    page2 = api_client.get(URL, {"page": 2}).json()
    assert len(page2["data"]) == 2 and page2["meta"]["from"] == 16
    tagged = api_client.get(URL, {"filter[tag]": "vip"}).json()
    assert tagged["meta"]["total"] == 8
    found = api_client.get(URL, {"filter[q]": "98765432 05"}).json()
    assert [c["identity"] for c in found["data"]] == ["c5"]


def test_show_edit_and_delete(api_client, account):
    contact = make_contact(account, attributes={"a": "1", "b": "2"}, tags=["old"])
    url = f"{URL}/{contact.pk}"
    shown = api_client.get(url).json()
    assert shown["message"] == "OK" and shown["data"]["identity"] == "c1"
    res = api_client.put(
        url,
        {"first_name": "New", "phone": "+91 98765 43299", "attributes": {"b": None, "c": 3}, "tags": ["new"]},
        format="json",
    )
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Subscriber updated successfully"
    data = body["data"]
    assert data["first_name"] == "New" and data["phone"] == "919876543299"
    assert data["attributes"] == {"a": "1", "c": 3} and data["tags"] == ["new"]
    assert Event.objects.filter(
        type="contacts:subscriber:subscription", payload__status="Subscriber updated successfully"
    ).exists()
    res = api_client.delete(url)
    assert res.status_code == 200 and res.json() == {
        "status": "OK",
        "code": 200,
        "message": "Subscriber deleted successfully",
        "data": [],
    }
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert api_client.get(url).status_code == 404


def test_edit_refuses_a_phone_of_another_contact(api_client, account):
    make_contact(account, identity="a", phone="919876543210")
    b = make_contact(account, identity="b", phone="919876543211")
    res = api_client.put(f"{URL}/{b.pk}", {"phone": "919876543210"}, format="json")
    assert res.status_code == 422 and res.json()["errors"]["phone"] == ["The phone has already been taken."]


def test_another_accounts_contact_is_404(api_client, other_account):
    theirs = make_contact(other_account)
    for method in ("get", "put", "delete"):
        res = getattr(api_client, method)(f"{URL}/{theirs.pk}", {}, format="json")
        assert res.status_code == 404
        assert res.json()["status"] == "failed" and res.json()["code"] == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()
    assert api_client.get(f"{URL}/not-a-number").status_code == 404


def test_requests_need_a_key(client):
    assert client.get(URL).status_code == 401


# --- merge --------------------------------------------------------------------------------------------


def test_merge_keeps_every_identifier_tag_subscription_and_membership(api_client, account):
    origin = make_contact(
        account,
        identity="origin",
        phone="919876543210",
        email="o@example.com",
        first_name="Olga",
        city="Pune",
        attributes={"plan": "gold", "shared": "origin"},
        tags=["a", "both"],
    )
    destination = make_contact(
        account, identity="dest", phone="919876543211", last_name="Dest", attributes={"shared": "dest"}, tags=["both"]
    )
    Identifier.objects.create(account=account, contact=origin, type="whatsapp", value="919876543210")
    subscription_services.unsubscribe(contact=origin)
    static = segment_services.create_segment(
        account=account, data={"name": "S", "type": "static", "members": [origin.pk]}
    )
    res = api_client.post(f"{URL}/merge", {"origin": str(origin.pk), "destination": str(destination.pk)}, format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Contacts merged successfully"
    data = body["data"]
    assert data["id"] == destination.pk and data["identity"] == "dest"
    assert data["first_name"] == "Olga" and data["last_name"] == "Dest" and data["city"] == "Pune"
    assert data["attributes"] == {"plan": "gold", "shared": "dest"}
    assert data["tags"] == ["a", "both"]
    assert data["phone"] == "919876543211"  # destination's own number stays the primary one
    assert not Contact.objects.filter(pk=origin.pk).exists()
    assert Identifier.objects.filter(contact=destination).count() == 4
    assert Subscription.objects.filter(contact=destination).count() == 3
    assert ContactTag.objects.filter(contact=destination).count() == 2
    assert SegmentMember.objects.filter(segment=static, contact=destination).exists()
    audit = AuditEvent.objects.get(account=account, action="contact.merged")
    assert audit.metadata["origin_identity"] == "origin"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "origin"),
        ({"origin": "x", "destination": "1"}, "origin"),
        ({"origin": "SAME", "destination": "SAME"}, "destination"),
    ],
)
def test_merge_bad_input(api_client, account, payload, field):
    contact = make_contact(account)
    payload = {k: (str(contact.pk) if v == "SAME" else v) for k, v in payload.items()}
    res = api_client.post(f"{URL}/merge", payload, format="json")
    assert res.status_code == 422 and field in res.json()["errors"]


def test_merge_refuses_another_accounts_contact(api_client, account, other_account):
    mine = make_contact(account)
    theirs = make_contact(other_account)
    res = api_client.post(f"{URL}/merge", {"origin": theirs.pk, "destination": mine.pk}, format="json")
    assert res.status_code == 422 and res.json()["errors"]["origin"] == ["The selected origin is invalid."]
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_tag_and_segment_rows_survive_contact_deletion(api_client, account):
    contact = make_contact(account, tags=["keep"])
    api_client.delete(f"{URL}/{contact.pk}")
    assert Tag.objects.filter(account=account, name="keep").exists()
    assert Segment.objects.count() == 0


CATALOGUED = {
    "/api/v2/contacts": {"get", "post"},
    "/api/v2/contacts/{id}": {"get", "put", "delete"},
    "/api/v2/contacts/merge": {"post"},
    "/api/v2/contacts/{id}/identifiers": {"get", "post"},
    "/api/v2/contacts/{id}/identifiers/{iid}": {"get", "put", "delete"},
    "/api/v2/contacts/identifiers": {"get"},
    "/api/v2/contacts/tags": {"get", "post"},
    "/api/v2/contacts/tags/{id}": {"get", "put", "delete"},
    "/api/v2/contacts/segments": {"get", "post"},
    "/api/v2/contacts/segments/{id}": {"get", "put", "delete"},
    "/api/v2/contacts/segments/{id}/subscribers": {"get"},
    "/api/v2/contacts/subscriptions": {"get"},
    "/api/v2/contacts/{id}/subscriptions": {"get", "post"},
    "/api/v2/contacts/{id}/subscriptions/{sid}": {"get", "put", "delete"},
    "/api/v2/contacts/{id}/unsubscribe": {"post"},
    "/api/v2/contacts/{id}/unsubscribe/{sid}": {"post"},
    "/api/v2/contacts/{id}/resubscribe": {"post"},
    "/api/v2/contacts/{id}/resubscribe/{sid}": {"post"},
}


def test_the_schema_documents_every_catalogued_contacts_operation(client, db):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path, methods in CATALOGUED.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"] and operation["tags"] == ["contacts"], (path, method)
            assert "200" in operation["responses"] and "422" in operation["responses"]


def test_form_encoded_bodies_keep_repeated_tags(api_client):
    res = api_client.post(
        URL, "identity=form&phone=919876543210&tags[]=a&tags[]=b", content_type="application/x-www-form-urlencoded"
    )
    assert res.status_code == 200 and res.json()["data"]["tags"] == ["a", "b"]
