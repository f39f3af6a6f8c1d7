"""`manage.py createcustomer`: account, owner, wallet, opening credits, API key, resellers."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Account, ApiKey, AuditEvent, LedgerEntry, LedgerKind, Membership, Role, User, Wallet
from accounts.services import apikeys, credits

PASSWORD = "pw-12345678"


def run(*args):
    out = StringIO()
    call_command("createcustomer", *args, stdout=out)
    return out.getvalue()


def test_it_creates_account_owner_and_wallet(db):
    out = run("--email", "Boss@Shop.example", "--password", PASSWORD, "--name", "Shop Ltd")
    account = Account.objects.get(name="Shop Ltd")
    assert account.username == "shop-ltd" and account.email == "boss@shop.example"
    assert not account.is_reseller and account.parent is None and account.is_active
    assert out.strip() == f"Created account shop-ltd ({account.uuid}) owned by boss@shop.example"
    membership = Membership.objects.get(account=account)
    assert membership.role == Role.OWNER and membership.user.email == "boss@shop.example"
    assert membership.user.check_password(PASSWORD)
    wallet = Wallet.objects.get(account=account)
    assert wallet.product_code == "" and wallet.balance == Decimal("0")
    assert not LedgerEntry.objects.filter(account=account).exists()
    assert AuditEvent.objects.filter(account=account, action="account.created").exists()


def test_the_username_defaults_to_the_email_name(db):
    run("--email", "jane.doe@example.com", "--password", PASSWORD)
    account = Account.objects.get(email="jane.doe@example.com")
    assert account.username == "janedoe" and account.name == "jane.doe"


def test_credits_open_the_balance_through_the_ledger(db):
    run("--email", "a@shop.example", "--password", PASSWORD, "--name", "Shop", "--credits", "25.5")
    account = Account.objects.get(name="Shop")
    assert credits.balance(account) == Decimal("25.5")
    entry = LedgerEntry.objects.get(account=account)
    assert (
        entry.kind == LedgerKind.TOP_UP and entry.reason == "Opening credit" and entry.balance_after == Decimal("25.5")
    )


def test_api_key_prints_a_working_secret_as_the_last_line(db):
    out = run("--email", "dev@shop.example", "--password", PASSWORD, "--api-key", "--credits", "3")
    lines = out.strip().splitlines()
    secret = lines[-1]
    assert secret.startswith(apikeys.KEY_PREFIX) and secret not in "\n".join(lines[:-1])
    key = ApiKey.objects.get(account__email="dev@shop.example")
    assert key.name == "Default key" and key.prefix == secret[:10] and key.key_hash == apikeys.hash_key(secret)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v2/auth/me").json()["data"]["email"] == "dev@shop.example"
    assert client.get("/api/v2/finance/balance").json()["data"][0]["credits"] == 3.0


def test_without_api_key_no_key_is_made(db):
    out = run("--email", "nokey@shop.example", "--password", PASSWORD)
    assert not ApiKey.objects.exists() and apikeys.KEY_PREFIX not in out


def test_same_names_get_distinct_usernames(db):
    run("--email", "a@x.example", "--password", PASSWORD, "--name", "Same")
    run("--email", "b@x.example", "--password", PASSWORD, "--name", "Same")
    run("--email", "c@x.example", "--password", PASSWORD, "--name", "Same")
    assert sorted(Account.objects.filter(name="Same").values_list("username", flat=True)) == [
        "same",
        "same-2",
        "same-3",
    ]


def test_an_explicit_username_that_is_taken_is_refused(db):
    run("--email", "a@x.example", "--password", PASSWORD, "--username", "acme")
    with pytest.raises(CommandError, match="An account with username 'acme' already exists."):
        run("--email", "b@x.example", "--password", PASSWORD, "--username", "acme")
    assert Account.objects.count() == 1 and not User.objects.filter(email="b@x.example").exists()


def test_an_explicit_username_must_be_a_slug(db):
    with pytest.raises(CommandError, match="letters, numbers, hyphens and underscores"):
        run("--email", "a@x.example", "--password", PASSWORD, "--username", "no spaces!")
    assert not Account.objects.exists()


def test_a_reseller_and_its_child(db):
    run("--email", "r@x.example", "--password", PASSWORD, "--name", "Reseller", "--reseller", "--credits", "10")
    run("--email", "c@x.example", "--password", PASSWORD, "--name", "Child", "--parent", "reseller")
    reseller, child = Account.objects.get(username="reseller"), Account.objects.get(username="child")
    assert reseller.is_reseller and child.parent == reseller and not child.is_reseller
    # The link works end to end: the reseller can now credit the child.
    credits.transfer_to_child(parent=reseller, child_username="child", amount="4")
    assert credits.balance(child) == Decimal("4")


def test_an_unknown_or_non_reseller_parent_is_refused(db):
    with pytest.raises(CommandError, match="No account with username 'missing'."):
        run("--email", "a@x.example", "--password", PASSWORD, "--parent", "missing")
    run("--email", "plain@x.example", "--password", PASSWORD, "--name", "Plain")
    with pytest.raises(CommandError, match="is not a reseller"):
        run("--email", "b@x.example", "--password", PASSWORD, "--parent", "plain")
    assert Account.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-3", "The credits must be greater than 0."), ("lots", "The credits must be a number.")],
)
def test_bad_credits_are_refused_and_leave_nothing_behind(db, amount, message):
    with pytest.raises(CommandError, match=message):
        run("--email", "a@x.example", "--password", PASSWORD, "--credits", amount, "--api-key")
    assert not Account.objects.exists() and not User.objects.exists() and not ApiKey.objects.exists()


def test_a_bad_email_is_refused(db):
    with pytest.raises(CommandError, match="Not a valid e-mail address"):
        run("--email", "not-an-email", "--password", PASSWORD)
    assert not Account.objects.exists()


def test_an_existing_user_becomes_owner_of_a_second_account_and_keeps_the_password(db):
    run("--email", "boss@x.example", "--password", PASSWORD, "--name", "First")
    out = run("--email", "BOSS@x.example", "--password", "another-password-1", "--name", "Second")
    user = User.objects.get(email="boss@x.example")
    assert user.check_password(PASSWORD)
    assert sorted(m.account.name for m in user.memberships.all()) == ["First", "Second"]
    assert "already had a login" in out and "password unchanged" in out


def test_required_options():
    with pytest.raises(CommandError):
        call_command("createcustomer", "--password", PASSWORD, stdout=StringIO())
