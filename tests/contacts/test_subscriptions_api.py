"""Contract tests: contact channel subscriptions (28-37) and their unsubscriber-list side effects."""

import pytest

from contacts.models import Identifier, Subscription
from contacts.services import contacts as contact_services
from contacts.services import subscriptions as services
from messaging.suppressions import services as suppressions
from messaging.suppressions.models import Unsubscriber
from portal.core.events.models import Event


@pytest.fixture
def contact(account):
    contact = contact_services.create_contact(
        account=account, data={"identity": "demo", "phone": "919876543210", "email": "demo@example.com"}
    )
    Identifier.objects.create(account=account, contact=contact, type="whatsapp", value="919876543210")
    return contact


def ids(contact):
    return dict(Identifier.objects.filter(contact=contact).values_list("type", "pk"))


def test_create_list_show_edit_delete(api_client, account, contact):
    base = f"/api/v2/contacts/{contact.pk}/subscriptions"
    items = [
        {"channel": "whatsapp", "channel_id": "whatsapp", "identifier_id": ids(contact)["whatsapp"]},
        {"channel": "sms", "identifier_id": str(ids(contact)["phone"])},
    ]
    res = api_client.post(base, {"subscriptions": items}, format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "OK" and body["message"] == "Subscription created successfully"
    first, second = body["data"]
    assert first == {
        **first,
        "contact_id": contact.pk,
        "channel": "whatsapp",
        "channel_id": "whatsapp",
        "identifier_id": ids(contact)["whatsapp"],
        "identifier": {"type": "whatsapp", "value": "919876543210"},
        "status": "subscribed",
        "subscribed": True,
        "unsubscribed_at": None,
    }
    assert second["channel_id"] == "sms"  # defaults to the channel
    # Creating the same subscription again returns it, no duplicate.
    again = api_client.post(base, {"subscriptions": items[:1]}, format="json").json()["data"][0]
    assert again["id"] == first["id"] and Subscription.objects.count() == 2

    listed = api_client.get(base).json()
    assert listed["message"] == "OK" and listed["meta"]["total"] == 2
    everything = api_client.get("/api/v2/contacts/subscriptions", {"filter[channel]": "sms"}).json()
    assert [s["id"] for s in everything["data"]] == [second["id"]]

    url = f"{base}/{first['id']}"
    assert api_client.get(url).json()["data"]["channel"] == "whatsapp"
    res = api_client.put(url, {"channel": "whatsapp", "channel_id": "919000000001"}, format="json")
    assert res.status_code == 200 and res.json()["message"] == "Subscription updated successfully"
    assert res.json()["data"]["channel_id"] == "919000000001"
    res = api_client.delete(url)
    assert res.json() == {"status": "OK", "code": 200, "message": "Subscription deleted successfully", "data": []}
    assert Subscription.objects.count() == 1
    assert Event.objects.filter(type="contacts:subscriber:subscription").count() >= 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "subscriptions"),
        ({"subscriptions": []}, "subscriptions"),
        ({"subscriptions": [{"identifier_id": "PHONE"}]}, "subscriptions.0.channel"),
        ({"subscriptions": [{"channel": "fax", "identifier_id": "PHONE"}]}, "subscriptions.0.channel"),
        ({"subscriptions": [{"channel": "sms"}]}, "subscriptions.0.identifier_id"),
        ({"subscriptions": [{"channel": "sms", "identifier_id": 999999}]}, "subscriptions.0.identifier_id"),
        ({"subscriptions": [{"channel": "sms", "identifier_id": "EMAIL"}]}, "subscriptions.0.identifier_id"),
    ],
)
def test_create_bad_input(api_client, contact, body, field):
    for item in body.get("subscriptions", []):
        if item.get("identifier_id") in ("PHONE", "EMAIL"):
            item["identifier_id"] = ids(contact)[item["identifier_id"].lower()]
    res = api_client.post(f"/api/v2/contacts/{contact.pk}/subscriptions", body, format="json")
    assert res.status_code == 422 and field in res.json()["errors"], res.json()


def test_an_identifier_of_another_contact_cannot_be_subscribed(api_client, account, contact):
    other = contact_services.create_contact(account=account, data={"identity": "o", "phone": "919876543299"})
    body = {"subscriptions": [{"channel": "sms", "identifier_id": other.identifiers.get().pk}]}
    res = api_client.post(f"/api/v2/contacts/{contact.pk}/subscriptions", body, format="json")
    assert res.status_code == 422


def test_unsubscribe_from_all_covers_every_reachable_channel(api_client, account, contact):
    res = api_client.post(f"/api/v2/contacts/{contact.pk}/unsubscribe")
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Unsubscribed successfully"
    assert {(s["channel"], s["status"]) for s in body["data"]} == {
        ("sms", "unsubscribed"),
        ("email", "unsubscribed"),
        ("whatsapp", "unsubscribed"),
    }
    assert all(s["unsubscribed_at"] for s in body["data"])
    assert set(Unsubscriber.objects.filter(account=account).values_list("channel", "receiver", "type")) == {
        ("sms", "919876543210", "all"),
        ("whatsapp", "919876543210", "all"),
    }
    event = Event.objects.filter(type="contacts:subscriber:subscription").last()
    assert event.payload["id"] == contact.pk and len(event.payload["subscriptions"]) == 3
    assert Event.objects.filter(type="sms:unsubscription").exists()

    res = api_client.post(f"/api/v2/contacts/{contact.pk}/resubscribe")
    assert res.json()["message"] == "Resubscribed successfully"
    assert {s["status"] for s in res.json()["data"]} == {"subscribed"}
    assert not Unsubscriber.objects.filter(account=account).exists()


def test_unsubscribe_and_resubscribe_one_subscription(api_client, account, contact):
    services.create_subscriptions(
        contact=contact,
        items=[
            {"channel": "sms", "identifier_id": ids(contact)["phone"]},
            {"channel": "whatsapp", "identifier_id": ids(contact)["whatsapp"]},
        ],
    )
    sms = Subscription.objects.get(contact=contact, channel="sms")
    res = api_client.post(f"/api/v2/contacts/{contact.pk}/unsubscribe/{sms.pk}")
    assert res.status_code == 200 and res.json()["message"] == "Unsubscribed successfully"
    assert res.json()["data"]["id"] == sms.pk and res.json()["data"]["status"] == "unsubscribed"
    assert Subscription.objects.get(contact=contact, channel="whatsapp").status == "subscribed"
    assert list(Unsubscriber.objects.filter(account=account).values_list("channel", flat=True)) == ["sms"]
    res = api_client.post(f"/api/v2/contacts/{contact.pk}/resubscribe/{sms.pk}")
    assert res.json()["message"] == "Resubscribed successfully" and res.json()["data"]["subscribed"] is True
    assert not Unsubscriber.objects.filter(account=account).exists()


def test_resubscribe_keeps_scoped_opt_outs(account, contact):
    suppressions.add_unsubscriber(account=account, data={"receiver": "919876543210", "type": "tag", "value": "promo"})
    services.unsubscribe(contact=contact)
    services.resubscribe(contact=contact)
    assert list(Unsubscriber.objects.filter(account=account).values_list("type", "value")) == [("tag", "promo")]


def test_unsubscribe_twice_is_harmless(api_client, account, contact):
    api_client.post(f"/api/v2/contacts/{contact.pk}/unsubscribe")
    api_client.post(f"/api/v2/contacts/{contact.pk}/unsubscribe")
    assert Subscription.objects.filter(contact=contact).count() == 3
    assert Unsubscriber.objects.filter(account=account).count() == 2


def test_deleting_the_contact_keeps_its_opt_outs(api_client, account, contact):
    api_client.post(f"/api/v2/contacts/{contact.pk}/unsubscribe")
    api_client.delete(f"/api/v2/contacts/{contact.pk}")
    assert Unsubscriber.objects.filter(account=account, receiver="919876543210").count() == 2


def test_another_accounts_contact_and_subscriptions_are_404(api_client, account, other_account, contact):
    theirs = contact_services.create_contact(account=other_account, data={"identity": "t", "phone": "919876543299"})
    their_sub = services.create_subscriptions(
        contact=theirs, items=[{"channel": "sms", "identifier_id": theirs.identifiers.get().pk}]
    )[0]
    for path in ("subscriptions", f"subscriptions/{their_sub.pk}"):
        assert api_client.get(f"/api/v2/contacts/{theirs.pk}/{path}").status_code == 404
    for path in ("unsubscribe", f"unsubscribe/{their_sub.pk}", "resubscribe", f"resubscribe/{their_sub.pk}"):
        assert api_client.post(f"/api/v2/contacts/{theirs.pk}/{path}").status_code == 404
    # Their subscription id under my contact is a 404 too.
    assert api_client.get(f"/api/v2/contacts/{contact.pk}/subscriptions/{their_sub.pk}").status_code == 404
    assert api_client.post(f"/api/v2/contacts/{contact.pk}/unsubscribe/{their_sub.pk}").status_code == 404
    assert api_client.delete(f"/api/v2/contacts/{contact.pk}/subscriptions/{their_sub.pk}").status_code == 404
    assert Subscription.objects.get(pk=their_sub.pk).status == "subscribed"
    assert not api_client.get("/api/v2/contacts/subscriptions").json()["data"]


def test_edit_bad_input_and_conflicts(api_client, account, contact):
    subs = services.create_subscriptions(
        contact=contact,
        items=[
            {"channel": "sms", "identifier_id": ids(contact)["phone"]},
            {"channel": "whatsapp", "identifier_id": ids(contact)["whatsapp"]},
        ],
    )
    url = f"/api/v2/contacts/{contact.pk}/subscriptions/{subs[1].pk}"
    res = api_client.put(url, {"channel": "fax"}, format="json")
    assert res.status_code == 422 and "channel" in res.json()["errors"]
    res = api_client.put(url, {"channel": "sms", "identifier_id": ids(contact)["email"]}, format="json")
    assert res.status_code == 422 and "identifier_id" in res.json()["errors"]
    res = api_client.put(
        url, {"channel": "sms", "channel_id": "sms", "identifier_id": ids(contact)["phone"]}, format="json"
    )
    assert res.status_code == 422
    assert res.json()["errors"]["identifier_id"] == ["This identifier already has that subscription."]
    assert Subscription.objects.get(pk=subs[1].pk).channel == "whatsapp"


def test_an_unsubscribed_subscription_moved_to_another_number_takes_the_opt_out_along(api_client, account, contact):
    phone = ids(contact)["phone"]
    other = Identifier.objects.create(account=account, contact=contact, type="phone", value="919876543219")
    sub = services.create_subscriptions(contact=contact, items=[{"channel": "sms", "identifier_id": phone}])[0]
    services.unsubscribe(contact=contact, subscription=sub)
    res = api_client.put(
        f"/api/v2/contacts/{contact.pk}/subscriptions/{sub.pk}",
        {"channel": "sms", "identifier_id": other.pk},
        format="json",
    )
    assert res.status_code == 200 and res.json()["data"]["status"] == "unsubscribed"
    assert set(Unsubscriber.objects.filter(account=account).values_list("receiver", flat=True)) == {
        "919876543210",
        "919876543219",
    }
