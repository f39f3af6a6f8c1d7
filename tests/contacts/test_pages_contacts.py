"""Contact pages: list with search and filters, create/edit dialogs, the contact's page and its
sections (identifiers, tags, subscriptions, static segments, message history)."""

import pytest
from django.urls import reverse

from contacts.models import Contact, Segment, Subscription
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from messaging.suppressions.models import Unsubscriber
from tests.factories import make_account

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def make_contact(account, identity="asha", phone="+919876543210", **extra):
    return contact_services.create_contact(account=account, data={"identity": identity, "phone": phone, **extra})


def test_the_list_shows_an_empty_state(user_client):
    res = user_client.get(reverse("contacts:contact_list"))
    assert res.status_code == 200 and "No contacts yet." in res.content.decode()


def test_the_list_searches_and_filters(user_client, account, django_assert_max_num_queries):
    make_contact(account, "asha", first_name="Asha", tags=["vip"], email="asha@example.com")
    make_contact(account, "tom", phone="+447400123456", first_name="Tom")
    bo = make_contact(account, "bo", phone="+919876543211", first_name="Bo")
    subscription_services.unsubscribe(contact=bo)
    url = reverse("contacts:contact_list")
    with django_assert_max_num_queries(12):
        html = user_client.get(url, {"q": "asha"}, **HTMX).content.decode()
    assert html.startswith('<div id="contact-table"') and "Asha" in html and "Tom" not in html
    html = user_client.get(url, {"q": "447400"}, **HTMX).content.decode()
    assert "Tom" in html and "Asha" not in html
    html = user_client.get(url, {"tag": "vip"}, **HTMX).content.decode()
    assert "Asha" in html and "Tom" not in html
    html = user_client.get(url, {"kind": "email"}, **HTMX).content.decode()
    assert "Asha" in html and "Tom" not in html
    html = user_client.get(url, {"subscription": "unsubscribed:sms"}, **HTMX).content.decode()
    assert ">Bo<" in html and "Asha" not in html
    html = user_client.get(url, {"subscription": "subscribed:sms"}, **HTMX).content.decode()
    assert "Asha" in html and "Tom" in html and ">Bo<" not in html
    html = user_client.get(url, {"q": "nobody"}, **HTMX).content.decode()
    assert "No contacts match these filters." in html


def test_the_list_paginates(user_client, account):
    for i in range(30):
        Contact.objects.create(account=account, identity=f"c{i:02d}")
    html = user_client.get(reverse("contacts:contact_list")).content.decode()
    assert "1–25 of 30" in html and "page=2" in html


def test_the_list_shows_only_the_accounts_contacts(user_client, other_account):
    make_contact(other_account, "stranger", first_name="Stranger")
    assert "Stranger" not in user_client.get(reverse("contacts:contact_list")).content.decode()


def test_create_dialog(user_client, account):
    url = reverse("contacts:contact_create")
    form = user_client.get(url, **HTMX).content.decode()
    assert form.lstrip().startswith('<form id="contact-form"')
    data = {
        "identity": "asha",
        "phone": "+91 98765 43210",
        "email": "Asha@Example.com",
        "first_name": "Asha",
        "tags": "vip, gold",
        "attributes": "membership: platinum\nstatus: vip",
    }
    res = user_client.post(url, data, **HTMX)
    assert res.status_code == 204 and res["HX-Redirect"] == reverse("contacts:contact_list")
    data = contact_services.contact_data(contact_services.with_relations(Contact.objects.for_account(account)).get())
    assert (data["phone"], data["email"], data["tags"]) == ("919876543210", "asha@example.com", ["gold", "vip"])
    assert data["attributes"] == {"membership": "platinum", "status": "vip"}


def test_create_dialog_shows_errors(user_client, account):
    make_contact(account, "asha")
    res = user_client.post(
        reverse("contacts:contact_create"),
        {"identity": "asha", "phone": "12", "attributes": "no colon"},
        **HTMX,
    )
    assert res.status_code == 422
    html = res.content.decode()
    assert "needs a name and a value" in html
    res = user_client.post(reverse("contacts:contact_create"), {"identity": "asha", "phone": "12"}, **HTMX)
    assert res.status_code == 422 and "errorlist" in res.content.decode()
    assert Contact.objects.count() == 1


def test_edit_dialog_changes_fields_and_drops_removed_attributes(user_client, account):
    contact = make_contact(account, "asha", first_name="Asha", attributes={"a": "1", "b": "2"})
    url = reverse("contacts:contact_edit", args=[contact.pk])
    assert 'value="Asha"' in user_client.get(url, **HTMX).content.decode()
    res = user_client.post(
        url + "?next=detail",
        {"identity": "asha", "phone": "+919876543210", "first_name": "Asha R", "attributes": "a: 9"},
        **HTMX,
    )
    assert res.status_code == 204 and res["HX-Redirect"].endswith(f"/contacts/{contact.pk}/")
    contact.refresh_from_db()
    assert contact.first_name == "Asha R" and contact.attributes == {"a": "9"}


def test_the_full_page_form_works_without_htmx(user_client):
    res = user_client.get(reverse("contacts:contact_create"))
    html = res.content.decode()
    assert res.status_code == 200 and html.startswith("<!doctype html>") and "Add a contact" in html


def test_the_detail_page_shows_every_section(user_client, account):
    contact = make_contact(account, "asha", first_name="Asha", email="a@example.com", tags=["vip"], city="Pune")
    Segment.objects.create(account=account, name="Static one", type="static")
    html = user_client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    for text in ("Identifiers", "919876543210", "a@example.com", "vip", "Subscribed", "by default", "Pune"):
        assert text in html
    assert "Static one" in html and "No messages sent" in html


def test_the_detail_page_lists_messages_sent_to_the_contact(user_client, account):
    from decimal import Decimal

    from messaging.models import Product
    from messaging.pipeline.models import Batch, Message

    contact = make_contact(account, "asha")
    product = Product.objects.first()
    batch = Batch.objects.create(account=account, product=product, name="Spring launch", total=2)
    common = {"batch": batch, "account": account, "sender": "ACME", "product_code": "T", "encoding": "GSM", "length": 5}
    Message.objects.create(index=1, mobile="919876543210", text="Hello Asha", units=1, price=Decimal(1), **common)
    Message.objects.create(index=2, mobile="919876543299", text="Someone else", units=1, price=Decimal(1), **common)
    other = make_account()[0]
    other_batch = Batch.objects.create(account=other, product=product, total=1)
    Message.objects.create(
        **{**common, "batch": other_batch, "account": other},
        index=1,
        mobile="919876543210",
        text="Other account",
        units=1,
        price=Decimal(1),
    )
    html = user_client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "Hello Asha" in html and "Spring launch" in html
    assert "Someone else" not in html and "Other account" not in html


def test_identifiers_are_added_and_removed_as_fragments(user_client, account):
    contact = make_contact(account, "asha")
    url = reverse("contacts:identifier_add", args=[contact.pk])
    res = user_client.post(url, {"type": "email", "value": "a@example.com"}, **HTMX)
    assert (
        res.content.decode().startswith('<section id="contact-identifiers"') and "a@example.com" in res.content.decode()
    )
    bad = user_client.post(url, {"type": "phone", "value": "12"}, **HTMX)
    assert bad.status_code == 422 and "errorlist" in bad.content.decode()
    identifier = contact.identifiers.get(type="email")
    user_client.post(reverse("contacts:identifier_delete", args=[contact.pk, identifier.pk]), **HTMX)
    assert not contact.identifiers.filter(type="email").exists()


def test_tags_are_added_and_removed(user_client, account):
    contact = make_contact(account, "asha")
    res = user_client.post(reverse("contacts:contact_tag_add", args=[contact.pk]), {"names": "vip, gold"}, **HTMX)
    assert res.content.decode().startswith('<section id="contact-tags"')
    tag = contact.tags.get(name="vip")
    user_client.post(reverse("contacts:contact_tag_remove", args=[contact.pk, tag.pk]), **HTMX)
    assert list(contact.tags.values_list("name", flat=True)) == ["gold"]


def test_unsubscribe_and_resubscribe_feed_the_unsubscriber_list(user_client, account):
    contact = make_contact(account, "asha")
    phone = contact.identifiers.get(type="phone")
    res = user_client.post(
        reverse("contacts:contact_unsubscribe", args=[contact.pk]),
        {"identifier": phone.pk, "channel": "sms"},
        **HTMX,
    )
    html = res.content.decode()
    assert html.startswith('<section id="contact-subscriptions"') and "Unsubscribed" in html and "Resubscribe" in html
    assert Unsubscriber.objects.filter(account=account, channel="sms", receiver="919876543210").exists()
    sub = Subscription.objects.get(contact=contact)
    user_client.post(reverse("contacts:contact_resubscribe", args=[contact.pk]), {"subscription": sub.pk}, **HTMX)
    sub.refresh_from_db()
    assert sub.status == "subscribed"
    assert not Unsubscriber.objects.filter(account=account, receiver="919876543210").exists()


def test_unsubscribe_from_all(user_client, account):
    contact = make_contact(account, "asha", email="a@example.com")
    user_client.post(reverse("contacts:contact_unsubscribe", args=[contact.pk]), **HTMX)
    assert set(Subscription.objects.filter(contact=contact).values_list("channel", "status")) == {
        ("sms", "unsubscribed"),
        ("email", "unsubscribed"),
    }


def test_subscriptions_are_added(user_client, account):
    contact = make_contact(account, "asha")
    phone = contact.identifiers.get(type="phone")
    url = reverse("contacts:subscription_add", args=[contact.pk])
    res = user_client.post(url, {"channel": "whatsapp", "identifier_id": phone.pk}, **HTMX)
    assert res.status_code == 200 and "WhatsApp" in res.content.decode()
    bad = user_client.post(url, {"channel": "email", "identifier_id": phone.pk}, **HTMX)
    assert bad.status_code == 422


def test_static_segment_membership_from_the_contact_page(user_client, account):
    contact = make_contact(account, "asha")
    segment = segment_services.create_segment(account=account, data={"name": "VIP list", "type": "static"})
    res = user_client.post(reverse("contacts:contact_segment_add", args=[contact.pk]), {"segment": segment.pk}, **HTMX)
    assert res.content.decode().startswith('<section id="contact-segments"') and "VIP list" in res.content.decode()
    assert segment_services.segment_contacts(segment).count() == 1
    user_client.post(reverse("contacts:contact_segment_remove", args=[contact.pk, segment.pk]), **HTMX)
    assert segment_services.segment_contacts(segment).count() == 0


def test_delete_contact(user_client, account):
    contact = make_contact(account, "asha")
    res = user_client.post(reverse("contacts:contact_delete", args=[contact.pk]))
    assert res.status_code == 302 and not Contact.objects.exists()


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("contact_detail", "get", []),
        ("contact_edit", "get", []),
        ("contact_edit", "post", []),
        ("contact_delete", "post", []),
        ("identifier_add", "post", []),
        ("contact_tag_add", "post", []),
        ("contact_unsubscribe", "post", []),
        ("contact_resubscribe", "post", []),
        ("subscription_add", "post", []),
        ("contact_segment_add", "post", []),
    ],
)
def test_another_accounts_contact_is_404(user_client, other_account, name, method, extra):
    contact = make_contact(other_account, "stranger")
    res = getattr(user_client, method)(reverse(f"contacts:{name}", args=[contact.pk, *extra]))
    assert res.status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_another_accounts_identifier_and_segment_are_404(user_client, account, other_account):
    mine = make_contact(account, "asha")
    theirs = make_contact(other_account, "stranger")
    identifier = theirs.identifiers.get()
    assert user_client.post(reverse("contacts:identifier_delete", args=[mine.pk, identifier.pk])).status_code == 404
    segment = segment_services.create_segment(account=other_account, data={"name": "Theirs", "type": "static"})
    res = user_client.post(reverse("contacts:contact_segment_add", args=[mine.pk]), {"segment": segment.pk})
    assert res.status_code == 404
