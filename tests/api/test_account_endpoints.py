"""Contract tests of auth/me, finance/balance and finance/credits."""

from decimal import Decimal

import pytest

from accounts import products
from accounts.models import AuditEvent, LedgerEntry, LedgerKind, Wallet
from accounts.services import credits
from messaging.services.products import set_account_products
from tests.api.helpers import bearer
from tests.factories import make_account, make_key

ME = "/api/v2/auth/me"
BALANCE = "/api/v2/finance/balance"
CREDITS = "/api/v2/finance/credits"


# auth/me


def test_me_describes_the_account_and_the_key(api_client, account, api_key_and_secret):
    key, secret = api_key_and_secret
    body = api_client.get(ME).json()
    assert list(body) == ["status", "code", "message", "data"]
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "OK"
    assert body["data"] == {
        "id": str(account.uuid),
        "name": account.name,
        "username": account.username,
        "email": account.email,
        "mobile": "",
        "is_reseller": 0,
        "parent": None,
        "services": ["G", "P", "S", "T"],
        "rate_limit": 1000,
        "token": {
            "name": "Test key",
            "prefix": secret[:10],
            "expires_at": None,
            "ip_whitelist": [],
            "scopes": ["read", "send", "otp", "write", "webhooks", "credits"],
        },
        "created_at": account.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def test_me_of_a_child_names_its_reseller_and_its_own_settings(db):
    parent, _ = make_account(is_reseller=True)
    child, _ = make_account(parent=parent)
    child.api_rate_limit = 50
    child.save()
    set_account_products(child, ["T", "WAP"])
    _, secret = make_key(child, ip_whitelist="203.0.113.0/24", name="Shop server")
    data = bearer(secret).get(ME, REMOTE_ADDR="203.0.113.4").json()["data"]
    assert data["parent"] == parent.username and data["is_reseller"] == 0
    assert data["services"] == ["T", "WAP"] and data["rate_limit"] == 50
    assert data["token"]["name"] == "Shop server" and data["token"]["ip_whitelist"] == ["203.0.113.0/24"]
    reseller = bearer(make_key(parent)[1]).get(ME).json()["data"]
    assert reseller["is_reseller"] == 1 and reseller["parent"] is None


def test_me_shows_the_key_expiry_in_the_resource_format(account):
    from datetime import UTC, datetime

    expiry = datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)
    _, secret = make_key(account, expires_at=expiry)
    assert bearer(secret).get(ME).json()["data"]["token"]["expires_at"] == "2099-01-02T03:04:05.000000Z"


def test_me_runs_few_queries(api_client, django_assert_max_num_queries):
    api_client.get(ME)
    with django_assert_max_num_queries(3):
        api_client.get(ME)


# finance/balance


def _spending_items(account, credits_each, postpaid=0):
    """The items of the enabled services that spend the general wallet."""
    names = products.directory().display_names(products.directory().enabled_codes(account))
    return [
        {"service": code, "name": names[code], "postpaid": postpaid, "credits": credits_each, "charges": 0}
        for code in sorted(names)
    ]


def test_balance_lists_wallets_in_the_envelope(api_client, account):
    body = api_client.get(BALANCE).json()
    assert body == {
        "status": "OK",
        "code": 200,
        "message": "OK",
        "data": [
            {"service": "", "name": "General credits", "postpaid": 0, "credits": 100.0, "charges": 0},
            # Each enabled service spends the general wallet (plugins read the item of their service).
            *_spending_items(account, 100.0),
        ],
    }
    assert "T" in [item["service"] for item in body["data"]]


def test_the_older_account_balance_path_answers_the_same(api_client, account):
    assert api_client.get("/api/v2/account/balance").json() == api_client.get(BALANCE).json()


def test_balance_follows_the_ledger_to_four_decimals(api_client, account):
    credits.debit(account=account, amount="0.1234", reason="x")
    assert api_client.get(BALANCE).json()["data"][0]["credits"] == 99.8766


def test_balance_names_service_wallets_and_shows_postpaid(api_client, account):
    Wallet.objects.filter(account=account, product_code="").update(postpaid=True)
    Wallet.objects.create(account=account, product_code="T", balance=Decimal("5"))
    data = api_client.get(BALANCE).json()["data"]
    assert data[0] == {"service": "", "name": "General credits", "postpaid": 1, "credits": 100.0, "charges": 0}
    by_code = {item["service"]: item for item in data[1:]}
    assert by_code["T"] == {"service": "T", "name": "Transactional SMS", "postpaid": 0, "credits": 5.0, "charges": 0}
    others = [item for item in _spending_items(account, 100.0, postpaid=1) if item["service"] != "T"]
    assert [by_code[item["service"]] for item in others] == others


def test_balance_shows_only_the_callers_wallets(api_client, account, other_account):
    data = api_client.get(BALANCE).json()["data"]
    assert {item["credits"] for item in data} == {100.0}
    assert bearer(make_key(other_account)[1]).get(BALANCE).json()["data"][0]["credits"] == 50.0


def test_balance_of_an_account_without_a_wallet_is_zero(db):
    fresh, _ = make_account()
    Wallet.objects.filter(account=fresh).delete()
    body = bearer(make_key(fresh)[1]).get(BALANCE).json()
    assert body["data"][0] == {"service": "", "name": "General credits", "postpaid": 0, "credits": 0.0, "charges": 0}


# finance/credits


@pytest.fixture
def reseller(db):
    parent, _ = make_account(credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent)
    key, secret = make_key(parent)
    return parent, child, bearer(secret)


def test_a_reseller_adds_credits_to_its_child(reseller):
    parent, child, client = reseller
    res = client.post(
        CREDITS,
        {"username": child.username, "credits": "2.34", "notes": "invoice 7", "order_id": "ORD-1", "service": ""},
        format="json",
        REMOTE_ADDR="192.0.2.50",
    )
    assert res.status_code == 200
    assert res.json() == {"status": "OK", "message": "Balance added Successfully"}
    assert credits.balance(parent) == Decimal("97.66")
    assert credits.balance(child) == Decimal("2.34")

    out = LedgerEntry.objects.get(account=parent, kind=LedgerKind.TRANSFER_OUT)
    into = LedgerEntry.objects.get(account=child, kind=LedgerKind.TRANSFER_IN)
    assert (out.amount, out.balance_after, out.reference) == (Decimal("-2.34"), Decimal("97.66"), "ORD-1")
    assert (into.amount, into.balance_after, into.reference) == (Decimal("2.34"), Decimal("2.34"), "ORD-1")
    assert out.reason == f"To {child.username}: invoice 7" and into.reason == "invoice 7"

    for acct in (parent, child):
        event = AuditEvent.objects.get(action="credits.transferred", account=acct)
        assert event.target == f"{parent.username} -> {child.username}"
        assert event.metadata["amount"] == "2.3400" and event.metadata["order_id"] == "ORD-1"
        assert event.metadata["api_key"] == parent.api_keys.get().prefix
        assert event.ip == "192.0.2.50"


def test_form_encoded_add_credits_works(reseller):
    parent, child, client = reseller
    res = client.post(CREDITS, {"username": child.username, "credits": "1"})
    assert res.status_code == 200 and res.json()["message"] == "Balance added Successfully"
    assert credits.balance(child) == Decimal("1")


def test_a_json_number_is_accepted_as_the_amount(reseller):
    parent, child, client = reseller
    assert client.post(CREDITS, {"username": child.username, "credits": 2.5}, format="json").status_code == 200
    assert credits.balance(child) == Decimal("2.5")


def test_a_known_service_code_is_accepted_and_credits_the_general_wallet(reseller):
    parent, child, client = reseller
    res = client.post(CREDITS, {"username": child.username, "credits": "3", "service": "t"}, format="json")
    assert res.status_code == 200
    assert credits.balance(child) == Decimal("3") and credits.balance(parent) == Decimal("97")
    assert not Wallet.objects.filter(account__in=[parent, child]).exclude(product_code="").exists()


def test_the_reseller_can_send_its_whole_balance(reseller):
    parent, child, client = reseller
    assert client.post(CREDITS, {"username": child.username, "credits": "100"}, format="json").status_code == 200
    assert credits.balance(parent) == Decimal("0") and credits.balance(child) == Decimal("100")


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "username", "The username field is required."),
        ({"credits": "1"}, "username", "The username field is required."),
        ({"username": "", "credits": "1"}, "username", "The username field is required."),
        ({"username": "x"}, "credits", "The credits field is required."),
        ({"username": "{child}", "credits": ""}, "credits", "The credits field is required."),
        ({"username": "{child}", "credits": "abc"}, "credits", "The credits must be a number."),
        ({"username": "{child}", "credits": "1,5"}, "credits", "The credits must be a number."),
        ({"username": "{child}", "credits": "-5"}, "credits", "The credits must be greater than 0."),
        ({"username": "{child}", "credits": "0"}, "credits", "The credits must be greater than 0."),
        ({"username": "{child}", "credits": "0.00001"}, "credits", "The credits must be at least 0.0001."),
        ({"username": "{child}", "credits": "1", "service": "XYZ"}, "service", "The selected service is invalid."),
        ({"username": "nobody-here", "credits": "1"}, "username", "The selected username is invalid."),
        ({"username": "{child}", "credits": "500"}, "credits", "Insufficient credits."),
        ({"username": "{child}", "credits": "100.0001"}, "credits", "Insufficient credits."),
    ],
)
def test_add_credits_validation(reseller, payload, field, message):
    parent, child, client = reseller
    payload = {k: v.replace("{child}", child.username) for k, v in payload.items()}
    res = client.post(CREDITS, payload, format="json")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422 and body["message"] == message
    assert body["errors"][field] == [message]
    assert credits.balance(parent) == Decimal("100") and credits.balance(child) == Decimal("0")
    assert not LedgerEntry.objects.filter(kind__in=[LedgerKind.TRANSFER_IN, LedgerKind.TRANSFER_OUT]).exists()
    assert not AuditEvent.objects.filter(action="credits.transferred").exists()


def test_every_missing_field_is_listed(reseller):
    body = reseller[2].post(CREDITS, {}, format="json").json()
    assert body["errors"] == {
        "username": ["The username field is required."],
        "credits": ["The credits field is required."],
    }


def test_a_non_reseller_cannot_add_credits(api_client, account, other_account):
    res = api_client.post(CREDITS, {"username": other_account.username, "credits": "1"})
    assert res.status_code == 403
    assert res.json() == {
        "status": "failed",
        "code": 403,
        "message": "Only reseller accounts can add credits to customers.",
    }
    assert credits.balance(account) == Decimal("100") and credits.balance(other_account) == Decimal("50")


def test_a_reseller_cannot_credit_someone_elses_customer(reseller, other_account):
    parent, _, client = reseller
    res = client.post(CREDITS, {"username": other_account.username, "credits": "1"})
    assert res.status_code == 403
    assert res.json() == {"status": "failed", "code": 403, "message": "This customer does not belong to your account."}
    assert credits.balance(parent) == Decimal("100") and credits.balance(other_account) == Decimal("50")


def test_a_reseller_cannot_credit_itself_or_a_grandchild(reseller):
    parent, child, client = reseller
    child.is_reseller = True
    child.save()
    grandchild, _ = make_account(parent=child)
    for username in (parent.username, grandchild.username):
        res = client.post(CREDITS, {"username": username, "credits": "1"})
        assert res.status_code == 403
    assert credits.balance(parent) == Decimal("100")


def test_a_child_cannot_pull_credits_from_its_reseller(reseller):
    parent, child, _ = reseller
    res = bearer(make_key(child)[1]).post(CREDITS, {"username": parent.username, "credits": "1"})
    assert res.status_code == 403
    assert credits.balance(parent) == Decimal("100")


def test_a_reseller_token_works_for_add_credits(reseller):
    parent, child, client = reseller
    token = client.get("/api/v3/auth/token/generate").json()["access_token"]
    assert bearer(token).post(CREDITS, {"username": child.username, "credits": "1"}).status_code == 200
    assert credits.balance(child) == Decimal("1")
