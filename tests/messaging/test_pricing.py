"""Rate cards: defaults, per-account overrides, the v2 pricing endpoint, the staff page."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from messaging.models import Product
from messaging.pricing import services

URL = "/api/v2/sms/pricing"


@pytest.fixture
def card(account):
    t, g = Product.objects.get(code="T"), Product.objects.get(code="G")
    services.save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.1500"})
    services.save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "3.5"})
    services.save_price(
        data={"service": "G", "iso": "US", "country_name": "United States", "sale_price": "2", "status": "0"}
    )
    services.save_price(
        account=account, data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.12"}
    )
    return t, g


def test_an_accounts_own_price_overrides_the_default(account, other_account, card):
    t, g = card
    assert services.price_for(account, t, "in") == Decimal("0.12")
    assert services.price_for(other_account, t, "IN") == Decimal("0.15")
    assert services.price_for(account, g, "US") is None  # inactive
    assert services.price_table(account, g) == {"GB": Decimal("3.5")}


def test_saving_again_replaces_the_price(account, card):
    t, _ = card
    services.save_price(account=account, data={"service": "T", "iso": "IN", "sale_price": "0.11"})
    assert services.price_for(account, t, "IN") == Decimal("0.11")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"service": "X", "iso": "IN", "sale_price": "1"}, "service"),
        ({"service": "T", "iso": "ZZ", "sale_price": "1"}, "iso"),
        ({"service": "T", "iso": "IN", "sale_price": "-1"}, "sale_price"),
    ],
)
def test_bad_prices_are_refused(db, data, field):
    from portal.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.save_price(data=data)
    assert field in exc.value.errors


def test_the_pricing_endpoint(api_client, card):
    body = api_client.get(URL).json()
    assert body["status"] == "OK" and body["message"] == "Pricing List" and body["meta"]["total"] == 3
    india = next(row for row in body["data"] if row["iso"] == "IN")
    assert india == {
        **india,
        "country_name": "India",
        "calling_code": 91,
        "sale_price": "0.1200",
        "service": "T",
        "service_name": "Transactional SMS",
        "currency": "INR",
        "status": 1,
    }
    assert api_client.get(URL, {"filter[iso]": "gb"}).json()["meta"]["total"] == 1
    assert api_client.get(URL, {"filter[service]": "G", "filter[status]": "0"}).json()["data"][0]["iso"] == "US"
    assert api_client.get(URL, {"filter[status]": "7"}).status_code == 422


def test_the_staff_rate_card_page(db, account, card):
    staff = Client()
    staff.force_login(User.objects.create_user(email="ops@example.com", password="x", is_staff=True))
    assert "United Kingdom" in staff.get("/staff/pricing/").content.decode()
    res = staff.post(
        f"/staff/pricing/?account={account.username}",
        {"service": "G", "iso": "GB", "sale_price": "3", "currency": "INR", "status": "1", "account": account.username},
    )
    assert res.status_code == 302
    assert services.price_for(account, card[1], "GB") == Decimal("3")
    assert (
        staff.post(
            "/staff/pricing/", {"service": "G", "iso": "XX", "sale_price": "1", "currency": "INR", "status": "1"}
        ).status_code
        == 422
    )


def test_customers_cannot_edit_prices(user_client, card):
    assert user_client.get("/staff/pricing/").status_code == 403
