"""Contract tests: contact identifiers (7-12) and tags (13-17)."""

import pytest

from contacts.models import ContactTag, Identifier, Tag
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from contacts.services import tags as tag_services
from messaging.suppressions.models import Unsubscriber


def make_contact(account, identity="c1", phone="919876543210", **extra):
    return contact_services.create_contact(account=account, data={"identity": identity, "phone": phone, **extra})


# --- identifiers ----------------------------------------------------------------------------------


def test_add_list_show_edit_delete_identifier(api_client, account):
    contact = make_contact(account)
    base = f"/api/v2/contacts/{contact.pk}/identifiers"
    res = api_client.post(base, {"type": "email", "value": "Hello123@Gmail.com"}, format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "OK" and body["message"] == "OK"
    data = body["data"]
    assert data == {**data, "type": "email", "value": "hello123@gmail.com", "contact_id": contact.pk}
    assert isinstance(data["id"], int) and data["created_at"].endswith("Z")

    listed = api_client.get(base).json()
    assert listed["message"] == "OK" and listed["meta"]["total"] == 2 and "links" in listed
    assert [i["type"] for i in listed["data"]] == ["phone", "email"]

    url = f"{base}/{data['id']}"
    assert api_client.get(url).json()["data"]["value"] == "hello123@gmail.com"
    res = api_client.put(url, {"type": "email", "value": "new@example.com"}, format="json")
    assert res.status_code == 200 and res.json()["message"] == "Identifier updated successfully"
    assert res.json()["data"]["value"] == "new@example.com"
    res = api_client.delete(url)
    assert res.json() == {"status": "OK", "code": 200, "message": "Identifier deleted successfully", "data": []}
    assert not Identifier.objects.filter(pk=data["id"]).exists()


def test_phone_like_identifiers_are_normalised_and_mobile_means_phone(api_client, account):
    contact = make_contact(account)
    res = api_client.post(
        f"/api/v2/contacts/{contact.pk}/identifiers", {"type": "whatsapp", "value": "+91 98765-43211"}, format="json"
    )
    assert res.json()["data"]["value"] == "919876543211"
    res = api_client.post(
        f"/api/v2/contacts/{contact.pk}/identifiers", {"type": "mobile", "value": "+919876543212"}, format="json"
    )
    assert res.json()["data"]["type"] == "phone"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"value": "a@b.co"}, "type"),
        ({"type": "email"}, "value"),
        ({"type": "fax", "value": "1"}, "type"),
        ({"type": "email", "value": "not-an-email"}, "value"),
        ({"type": "phone", "value": "123"}, "value"),
    ],
)
def test_identifier_bad_input(api_client, account, payload, field):
    contact = make_contact(account)
    res = api_client.post(f"/api/v2/contacts/{contact.pk}/identifiers", payload, format="json")
    assert res.status_code == 422 and field in res.json()["errors"]


def test_an_identifier_value_belongs_to_one_contact(api_client, account):
    make_contact(account, identity="a", phone="919876543210")
    b = make_contact(account, identity="b", phone="919876543211")
    res = api_client.post(
        f"/api/v2/contacts/{b.pk}/identifiers", {"type": "phone", "value": "919876543210"}, format="json"
    )
    assert res.status_code == 422 and res.json()["errors"]["value"] == ["The value has already been taken."]


def test_account_wide_identifier_list_and_filters(api_client, account, other_account):
    make_contact(account, identity="a", phone="919876543210", email="a@example.com")
    make_contact(account, identity="b", phone="919876543211")
    make_contact(other_account, identity="x", phone="919876543299")
    body = api_client.get("/api/v2/contacts/identifiers").json()
    assert body["message"] == "OK" and body["meta"]["total"] == 3
    assert {i["value"] for i in body["data"]} == {"919876543210", "919876543211", "a@example.com"}
    phones = api_client.get("/api/v2/contacts/identifiers", {"filter[type]": "mobile"}).json()
    assert phones["meta"]["total"] == 2


def test_identifiers_of_another_account_are_404(api_client, account, other_account):
    mine = make_contact(account)
    theirs = make_contact(other_account)
    their_identifier = theirs.identifiers.get()
    assert api_client.get(f"/api/v2/contacts/{theirs.pk}/identifiers").status_code == 404
    assert api_client.post(f"/api/v2/contacts/{theirs.pk}/identifiers", {}, format="json").status_code == 404
    # Another account's identifier id under my contact's path is also a 404.
    for method in ("get", "put", "delete"):
        url = f"/api/v2/contacts/{mine.pk}/identifiers/{their_identifier.pk}"
        assert getattr(api_client, method)(url, {}, format="json").status_code == 404
    assert Identifier.objects.filter(pk=their_identifier.pk).exists()


def test_an_identifier_of_another_of_my_contacts_is_404_under_the_wrong_contact(api_client, account):
    a = make_contact(account, identity="a", phone="919876543210")
    b = make_contact(account, identity="b", phone="919876543211")
    assert api_client.get(f"/api/v2/contacts/{a.pk}/identifiers/{b.identifiers.get().pk}").status_code == 404


def test_editing_an_unsubscribed_number_keeps_the_opt_out(api_client, account):
    contact = make_contact(account)
    subscription_services.unsubscribe(contact=contact)
    identifier = contact.identifiers.get()
    res = api_client.put(
        f"/api/v2/contacts/{contact.pk}/identifiers/{identifier.pk}",
        {"type": "phone", "value": "919876543219"},
        format="json",
    )
    assert res.status_code == 200
    receivers = set(Unsubscriber.objects.filter(account=account).values_list("receiver", flat=True))
    assert receivers == {"919876543210", "919876543219"}


# --- tags ---------------------------------------------------------------------------------------------


def test_tag_crud(api_client, account):
    res = api_client.post("/api/v2/contacts/tags", {"name": "premium 1"}, format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Tag created successfully"
    tag = body["data"]
    assert tag["name"] == "premium 1" and isinstance(tag["id"], int) and tag["created_at"].endswith("Z")
    url = f"/api/v2/contacts/tags/{tag['id']}"
    assert api_client.get(url).json()["data"]["name"] == "premium 1"
    res = api_client.put(url, {"name": "premium 2"}, format="json")
    assert res.json()["message"] == "Tag updated successfully" and res.json()["data"]["name"] == "premium 2"
    res = api_client.delete(url)
    assert res.json() == {"status": "OK", "code": 200, "message": "Tag deleted successfully", "data": []}
    assert not Tag.objects.filter(pk=tag["id"]).exists()


def test_tag_list_counts_contacts_and_is_paginated(api_client, account, other_account, django_assert_max_num_queries):
    make_contact(account, identity="a", phone="919876543210", tags=["vip", "new"])
    make_contact(account, identity="b", phone="919876543211", tags=["vip"])
    tag_services.create_tag(account=other_account, data={"name": "theirs"})
    with django_assert_max_num_queries(6):
        body = api_client.get("/api/v2/contacts/tags").json()
    assert body["message"] == "OK" and body["meta"]["total"] == 2 and body["links"]["first"]
    counts = {t["name"]: t["contacts_count"] for t in body["data"]}
    assert counts == {"new": 1, "vip": 2}


@pytest.mark.parametrize(("payload", "message"), [({}, "The name field is required."), ({"name": "x" * 101}, None)])
def test_tag_bad_input(api_client, payload, message):
    res = api_client.post("/api/v2/contacts/tags", payload, format="json")
    assert res.status_code == 422 and "name" in res.json()["errors"]
    if message:
        assert res.json()["message"] == message


def test_tag_names_are_unique_per_account(api_client, account, other_account):
    tag_services.create_tag(account=account, data={"name": "vip"})
    tag_services.create_tag(account=other_account, data={"name": "other"})
    res = api_client.post("/api/v2/contacts/tags", {"name": "vip"}, format="json")
    assert res.status_code == 422 and res.json()["errors"]["name"] == ["The name has already been taken."]
    assert api_client.post("/api/v2/contacts/tags", {"name": "other"}, format="json").status_code == 200
    other = tag_services.create_tag(account=account, data={"name": "x"})
    res = api_client.put(f"/api/v2/contacts/tags/{other.pk}", {"name": "vip"}, format="json")
    assert res.status_code == 422


def test_another_accounts_tag_is_404(api_client, other_account):
    theirs = tag_services.create_tag(account=other_account, data={"name": "theirs"})
    for method in ("get", "put", "delete"):
        assert (
            getattr(api_client, method)(f"/api/v2/contacts/tags/{theirs.pk}", {"name": "x"}, format="json").status_code
            == 404
        )
    assert Tag.objects.get(pk=theirs.pk).name == "theirs"


def test_deleting_a_tag_unlinks_contacts_and_leaves_segments(api_client, account):
    make_contact(account, tags=["vip", "keep"])
    vip = Tag.objects.get(account=account, name="vip")
    segment = segment_services.create_segment(
        account=account,
        data={
            "name": "S",
            "positive_tags": ["vip", "keep"],
            "rules": {"conditions": [{"field": "tags", "op": "any", "value": ["vip"]}]},
        },
    )
    api_client.delete(f"/api/v2/contacts/tags/{vip.pk}")
    assert ContactTag.objects.count() == 1
    segment.refresh_from_db()
    assert segment.positive_tags == [Tag.objects.get(name="keep").pk]
    assert segment.rules == {"match": "all", "conditions": []}


def test_renaming_a_tag_keeps_segments_working(api_client, account):
    make_contact(account, tags=["vip"])
    segment = segment_services.create_segment(account=account, data={"name": "S", "positive_tags": ["vip"]})
    tag = Tag.objects.get(name="vip")
    api_client.put(f"/api/v2/contacts/tags/{tag.pk}", {"name": "gold"}, format="json")
    shown = api_client.get(f"/api/v2/contacts/segments/{segment.pk}").json()["data"]
    assert shown["positive_tags"] == ["gold"] and shown["subscribers_count"] == 1
