"""Contract tests of auth/me, finance/balance and finance/credits."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, LedgerEntry, LedgerKind
from accounts.services import credits
from tests.factories import make_account, make_key


def bearer(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_me_describes_the_account(api_client, account, api_key_and_secret):
    body = api_client.get("/api/v2/auth/me").json()
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "OK"
    data = body["data"]
    assert data["id"] == str(account.uuid)
    assert data["username"] == account.username and data["name"] == account.name
    assert data["is_reseller"] == 0 and data["parent"] is None
    assert data["services"] == ["G", "P", "S", "T"]
    assert data["rate_limit"] == 1000
    assert data["token"]["prefix"] == api_key_and_secret[1][:10]
    assert data["created_at"].endswith("Z")


def test_balance_lists_wallets_in_the_envelope(api_client, account):
    body = api_client.get("/api/v2/finance/balance").json()
    assert body == {
        "status": "OK",
        "code": 200,
        "message": "OK",
        "data": [{"service": "", "name": "General credits", "postpaid": 0, "credits": 100.0, "charges": 0}],
    }


@pytest.fixture
def reseller(db):
    parent, _ = make_account(credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent)
    _, secret = make_key(parent)
    return parent, child, bearer(secret)


def test_a_reseller_adds_credits_to_its_child(reseller):
    parent, child, client = reseller
    res = client.post(
        "/api/v2/finance/credits",
        {"username": child.username, "credits": "2.34", "notes": "invoice 7", "order_id": "ORD-1"},
        format="json",
    )
    assert res.status_code == 200
    assert res.json() == {"status": "OK", "message": "Balance added Successfully"}
    assert credits.balance(parent) == Decimal("97.66")
    assert credits.balance(child) == Decimal("2.34")
    out = LedgerEntry.objects.get(account=parent, kind=LedgerKind.TRANSFER_OUT)
    into = LedgerEntry.objects.get(account=child, kind=LedgerKind.TRANSFER_IN)
    assert out.amount == Decimal("-2.34") and into.amount == Decimal("2.34") and into.reference == "ORD-1"
    assert AuditEvent.objects.filter(action="credits.transferred", account=child).exists()
    assert AuditEvent.objects.get(action="credits.transferred", account=parent).metadata["api_key"]


def test_form_encoded_add_credits_works(reseller):
    _, child, client = reseller
    res = client.post("/api/v2/finance/credits", {"username": child.username, "credits": "1"})
    assert res.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"credits": "1"}, "username", "The username field is required."),
        ({"username": "x"}, "credits", "The credits field is required."),
        ({"username": "{child}", "credits": "abc"}, "credits", "The credits must be a number."),
        ({"username": "{child}", "credits": "-5"}, "credits", "The credits must be greater than 0."),
        ({"username": "nobody-here", "credits": "1"}, "username", "The selected username is invalid."),
        ({"username": "{child}", "credits": "500"}, "credits", "Insufficient credits."),
    ],
)
def test_add_credits_validation(reseller, payload, field, message):
    parent, child, client = reseller
    payload = {k: v.replace("{child}", child.username) for k, v in payload.items()}
    res = client.post("/api/v2/finance/credits", payload, format="json")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422 and body["message"] == message
    assert body["errors"][field] == [message]
    assert credits.balance(parent) == Decimal("100") and credits.balance(child) == Decimal("0")


def test_a_non_reseller_cannot_add_credits(api_client, other_account):
    res = api_client.post("/api/v2/finance/credits", {"username": other_account.username, "credits": "1"})
    assert res.status_code == 403
    assert res.json()["message"] == "Only reseller accounts can add credits to customers."


def test_a_reseller_cannot_credit_someone_elses_customer(reseller, other_account):
    parent, _, client = reseller
    res = client.post("/api/v2/finance/credits", {"username": other_account.username, "credits": "1"})
    assert res.status_code == 403
    assert res.json() == {"status": "failed", "code": 403, "message": "This customer does not belong to your account."}
    assert credits.balance(parent) == Decimal("100")
