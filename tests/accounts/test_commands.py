"""Operations commands: createcustomer and seed_demo."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Account, Membership, Role, User
from accounts.services import credits


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createcustomer_creates_account_owner_and_wallet(db):
    out = run(
        "createcustomer",
        "--email",
        "Boss@Shop.example",
        "--password",
        "pw-12345678",
        "--name",
        "Shop Ltd",
        "--credits",
        "25.5",
    )
    account = Account.objects.get(name="Shop Ltd")
    assert account.username == "shop-ltd" and "shop-ltd" in out
    membership = Membership.objects.get(account=account)
    assert membership.role == Role.OWNER and membership.user.email == "boss@shop.example"
    assert membership.user.check_password("pw-12345678")
    assert credits.balance(account) == Decimal("25.5")


def test_createcustomer_prints_a_working_api_key_last(db):
    out = run("createcustomer", "--email", "dev@shop.example", "--password", "pw-12345678", "--api-key")
    secret = out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v2/auth/me").json()["data"]["email"] == "dev@shop.example"


def test_createcustomer_makes_usernames_unique_and_links_resellers(db):
    run("createcustomer", "--email", "a@x.example", "--password", "pw-12345678", "--name", "Same", "--reseller")
    run("createcustomer", "--email", "b@x.example", "--password", "pw-12345678", "--name", "Same", "--parent", "same")
    child = Account.objects.get(username="same-2")
    assert child.parent.username == "same" and child.parent.is_reseller


def test_createcustomer_reports_errors(db):
    with pytest.raises(CommandError):
        run("createcustomer", "--email", "a@x.example", "--password", "pw", "--parent", "missing")
    with pytest.raises(CommandError):
        run("createcustomer", "--email", "a@x.example", "--password", "pw", "--credits", "-3")


def test_seed_demo_is_idempotent(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = run("seed_demo")
    second = run("seed_demo")
    assert "Demo data loaded." in first and "already loaded" in second
    assert Account.objects.filter(username="demo").count() == 1
    assert User.objects.filter(email="staff@example.com", is_staff=True).count() == 1
    key = (tmp_path / "demo_api_key").read_text().strip()
    assert key in second and key in (tmp_path / "demo_credentials.txt").read_text()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v2/finance/balance").json()["data"][0]["credits"] == 2487.5
