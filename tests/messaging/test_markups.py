"""Resellers' per-customer markups: the customer's prices and debits follow the reseller's cost,
a country's override wins, hand-set prices stay, changes of the reseller's or the default card
carry through (once per transaction), the margin shown, and tenant isolation."""

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from messaging.channels.sms import sending
from messaging.channels.sms.sending import Outgoing
from messaging.models import Product
from messaging.pipeline.models import Message
from messaging.pricing import markups
from messaging.pricing.models import Markup, Price
from messaging.pricing.services import price_for, price_table, save_price
from messaging.review import services as review
from messaging.senders import services as registry
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(db, django_capture_on_commit_callbacks):
    # Everything committed as it would be (price writes queue their followers for the commit).
    with django_capture_on_commit_callbacks(execute=True):
        save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "2"})
        save_price(data={"service": "G", "iso": "DE", "country_name": "Germany", "sale_price": "1"})
        reseller, reseller_owner = make_account(is_reseller=True, credits_amount="1000")
        child, child_owner = make_account(parent=reseller, credits_amount="100")
        other_reseller, other_owner = make_account(is_reseller=True)
        # The reseller's own cost for GB is below the default card.
        save_price(account=reseller, data={"service": "G", "iso": "GB", "country_name": "UK", "sale_price": "1.5"})
    return {
        "reseller": reseller,
        "reseller_owner": reseller_owner,
        "child": child,
        "child_owner": child_owner,
        "other": other_reseller,
        "other_owner": other_owner,
    }


def _g():
    return Product.objects.get(code="G")


def test_a_percentage_over_the_resellers_cost_with_a_country_override(family):
    reseller, child = family["reseller"], family["child"]
    markups.set_markup(reseller=reseller, child=child, percent="20")
    assert price_for(child, _g(), "GB") == Decimal("1.8000")  # 1.5 × 1.2: the reseller's cost, not the default
    assert price_for(child, _g(), "DE") == Decimal("1.2000")  # the default card is the reseller's cost there
    markups.set_markup(reseller=reseller, child=child, iso="de", percent="12.5")
    assert price_for(child, _g(), "DE") == Decimal("1.1250")
    assert price_table(child, _g()) == {"GB": Decimal("1.8000"), "DE": Decimal("1.1250")}
    markups.remove_markup(reseller=reseller, child=child, iso="DE")
    assert price_for(child, _g(), "DE") == Decimal("1.2000")
    markups.remove_markup(reseller=reseller, child=child)
    assert not Price.objects.filter(account=child).exists()  # back on the default card
    assert price_for(child, _g(), "GB") == Decimal("2")


def test_bad_markups_are_refused_with_field_errors(family):
    reseller, child = family["reseller"], family["child"]
    for value in ("-1", "abc", "1000.5", "1.234", "nan"):
        with pytest.raises(markups.ValidationFailed) as exc:
            markups.set_markup(reseller=reseller, child=child, percent=value)
        assert "percent" in exc.value.errors
    with pytest.raises(markups.ValidationFailed) as exc:
        markups.set_markup(reseller=reseller, child=child, iso="XX", percent="5")
    assert "iso" in exc.value.errors
    # Another reseller's customer is not one's own.
    with pytest.raises(markups.ValidationFailed):
        markups.set_markup(reseller=family["other"], child=child, percent="5")
    assert not Markup.objects.exists()


def test_the_customers_prices_follow_later_changes_of_the_resellers_and_the_default_card(
    family, django_capture_on_commit_callbacks
):
    reseller, child = family["reseller"], family["child"]
    markups.set_markup(reseller=reseller, child=child, percent="10")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        save_price(account=reseller, data={"service": "G", "iso": "GB", "country_name": "UK", "sale_price": "1"})
        save_price(account=reseller, data={"service": "G", "iso": "DE", "country_name": "Germany", "sale_price": "2"})
    assert sum(getattr(c, "markup_card", None) == reseller.pk for c in callbacks) == 1  # once per transaction
    assert price_for(child, _g(), "GB") == Decimal("1.1000")
    assert price_for(child, _g(), "DE") == Decimal("2.2000")
    with django_capture_on_commit_callbacks(execute=True):
        save_price(data={"service": "G", "iso": "FR", "country_name": "France", "sale_price": "3"})
    assert price_for(child, _g(), "FR") == Decimal("3.3000")


def test_prices_set_by_hand_for_the_customer_stay(family):
    reseller, child = family["reseller"], family["child"]
    save_price(account=child, data={"service": "G", "iso": "GB", "country_name": "UK", "sale_price": "5"})
    markups.set_markup(reseller=reseller, child=child, percent="50")
    assert price_for(child, _g(), "GB") == Decimal("5")
    assert price_for(child, _g(), "DE") == Decimal("1.5000")


def test_the_customers_debit_follows_the_markup(family):
    reseller, child = family["reseller"], family["child"]
    markups.set_markup(reseller=reseller, child=child, percent="20")
    sender = registry.create_sender(account=child, data={"name": "AcmeUK", "service": "G", "country_code": "GB"})
    review.approve(item=sender)
    with mock.patch("messaging.pipeline.submit.enqueue"):
        result = sending.submit(
            account=child, product_code="G", outgoing=[Outgoing(to="447400100001", sender="AcmeUK", message="Hi")]
        )
    message = Message.objects.get(batch=result.batch)
    assert (message.price, message.charges) == (Decimal("1.8000"), Decimal("1.8000"))
    from accounts.services import credits

    assert credits.balance(child) == Decimal("100") - Decimal("1.8")


def test_the_markup_page_shows_margin_and_is_the_resellers_own(client, family):
    child = family["child"]
    client.force_login(family["reseller_owner"])
    url = reverse("prices:child_markup", args=[child.uuid])
    assert url in client.get(reverse("accounts:child_list")).content.decode()
    res = client.post(url, {"percent": "25"})
    assert res.status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    rows = {(r["price"].iso, r["price"].product.code): r for r in page.context["page"].object_list}
    assert rows[("GB", "G")]["cost"] == Decimal("1.5") and rows[("GB", "G")]["margin"] == Decimal("0.375")
    assert rows[("GB", "G")]["margin_percent"] == Decimal("25.0")
    bad = client.post(url, {"percent": "-3"})
    assert bad.status_code == 422 and "between 0 and 1000" in bad.content.decode()
    assert client.post(url, {"iso": "ZZ", "percent": "3"}).status_code == 422
    assert client.post(url, {"action": "remove", "iso": ""}).status_code == 302
    assert not Markup.objects.filter(child=child).exists()
    # Another reseller, the customer itself and a stranger get a 404.
    for user in (family["other_owner"], family["child_owner"]):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"percent": "90"}).status_code == 404
    assert not Markup.objects.filter(child=child).exists()
