"""Audit log, credits ledger (with CSV), reseller customers, dashboard."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Account, AuditEvent, Role
from accounts.services import audit, credits
from tests.factories import make_account, make_member

HX = {"HTTP_HX_REQUEST": "true"}


def test_owners_see_their_audit_log_filtered(user_client, account, other_account, django_assert_max_num_queries):
    audit.record("api_key.created", account=account, target="mine", actor_email="a@example.com")
    audit.record("api_key.created", account=other_account, target="theirs")
    audit.record("team.invited", account=account, target="x@example.com")
    with django_assert_max_num_queries(12):
        html = user_client.get("/audit/").content.decode()
    assert "mine" in html and "theirs" not in html
    html = user_client.get("/audit/?action=team.invited", **HX).content.decode()
    assert html.strip().startswith('<div id="audit-table"') and "x@example.com" in html and "mine" not in html
    html = user_client.get("/audit/?q=a@example", **HX).content.decode()
    assert "mine" in html and "x@example.com" not in html


def test_audit_log_date_filter_and_bad_dates(user_client, account):
    audit.record("team.invited", account=account, target="dated")
    assert "dated" not in user_client.get("/audit/?date_to=2000-01-01", **HX).content.decode()
    assert "Enter a valid date" in user_client.get("/audit/?date_from=nope", **HX).content.decode()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DEVELOPER, Role.ANALYST])
def test_only_owners_see_the_audit_log(client, account, role):
    client.force_login(make_member(account, role))
    assert client.get("/audit/").status_code == 403


def test_the_ledger_page_filters_and_exports(user_client, account, other_account):
    credits.debit(account=account, amount="12.5", reason="campaign A")
    credits.debit(account=other_account, amount="1", reason="foreign spend")
    html = user_client.get("/billing/").content.decode()
    assert "campaign A" in html and "foreign spend" not in html
    html = user_client.get("/billing/?kind=topup", **HX).content.decode()
    assert "campaign A" not in html
    res = user_client.get("/billing/?format=csv")
    body = b"".join(res.streaming_content).decode()
    assert res["Content-Type"] == "text/csv"
    assert body.splitlines()[0] == "time,kind,amount,balance_after,reason,reference,actor"
    assert "campaign A" in body and "foreign spend" not in body


def test_analysts_can_read_the_ledger(client, account):
    client.force_login(make_member(account, Role.ANALYST))
    assert client.get("/billing/").status_code == 200


@pytest.fixture
def reseller(db):
    parent, owner = make_account(credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent, name="Child Co")
    client = Client()
    client.force_login(owner)
    return parent, child, client


def test_a_reseller_sees_its_customers_and_sends_credits(reseller):
    parent, child, client = reseller
    assert "Child Co" in client.get("/customers/").content.decode()
    res = client.post(f"/customers/{child.uuid}/transfer/", {"amount": "25", "notes": "Nov"}, **HX)
    assert res.status_code == 200 and 'id="balance-badge"' in res.content.decode()
    assert credits.balance(child) == Decimal("25") and credits.balance(parent) == Decimal("75")


def test_an_unaffordable_transfer_shows_an_error(reseller):
    parent, child, client = reseller
    res = client.post(f"/customers/{child.uuid}/transfer/", {"amount": "250"}, **HX)
    assert res.status_code == 422 and "Insufficient credits" in res.content.decode()
    assert credits.balance(parent) == Decimal("100")


def test_a_reseller_creates_a_customer_with_opening_credits(reseller):
    parent, _, client = reseller
    res = client.post(
        "/customers/",
        {"name": "Fresh Ltd", "email": "fresh@example.com", "password": "Long-enough-9", "opening_credits": "10"},
    )
    assert res.status_code == 302
    fresh = Account.objects.get(name="Fresh Ltd")
    assert fresh.parent == parent and credits.balance(fresh) == Decimal("10")
    assert credits.balance(parent) == Decimal("90")


def test_creating_a_customer_with_unaffordable_credits_creates_nothing(reseller):
    parent, _, client = reseller
    res = client.post(
        "/customers/",
        {"name": "Rich Ltd", "email": "rich@example.com", "password": "Long-enough-9", "opening_credits": "1000"},
    )
    assert res.status_code == 422
    assert not Account.objects.filter(name="Rich Ltd").exists()


def test_non_resellers_and_foreign_children_get_404(user_client, reseller):
    _, child, _ = reseller
    assert user_client.get("/customers/").status_code == 404
    assert user_client.post(f"/customers/{child.uuid}/transfer/", {"amount": "1"}).status_code == 404


def test_a_reseller_cannot_transfer_to_another_resellers_child(reseller):
    _, _, client = reseller
    other_parent, _ = make_account(credits_amount="5", is_reseller=True)
    foreign_child, _ = make_account(parent=other_parent)
    assert client.post(f"/customers/{foreign_child.uuid}/transfer/", {"amount": "1"}).status_code == 404
    assert credits.balance(foreign_child) == Decimal("0")


def test_the_dashboard_summarises_the_account(user_client, account, django_assert_max_num_queries):
    credits.debit(account=account, amount="30", reason="spend")
    with django_assert_max_num_queries(15):
        res = user_client.get("/")
    html = res.content.decode()
    assert "70.00" in html and "30.00" in html and "<svg" in html
    assert "Create an API key" in html  # getting started: no key yet
    assert AuditEvent.objects.filter(account=account).exists()


def test_logged_out_visitors_are_sent_to_login(client, db):
    assert client.get("/")["Location"] == "/login/?next=/"


def test_a_transfer_replaces_the_previous_flash_with_its_own(reseller):
    parent, child, client = reseller
    page = client.post(
        "/customers/",
        {"name": "New Co", "email": "new@example.com", "password": "a-long-password-1"},
        follow=True,
    ).content.decode()
    assert 'id="flash-region"' in page and "Customer New Co" in page

    res = client.post(f"/customers/{child.uuid}/transfer/", {"amount": "25", "notes": "Nov"}, **HX)
    region = res.content.decode().split('id="flash-region"', 1)[1]
    assert 'hx-swap-oob="true"' in region and "25 credits sent to Child Co." in region
    assert "Customer New Co" not in res.content.decode()

    failed = client.post(f"/customers/{child.uuid}/transfer/", {"amount": "250"}, **HX).content.decode()
    region = failed.split('id="flash-region"', 1)[1]
    assert "Child Co: Insufficient credits" in region and "credits sent" not in region
    assert "credits sent" not in client.get("/customers/").content.decode()  # shown once, not again


def test_transfers_are_shown_as_transfers_not_spend(reseller):
    parent, child, client = reseller
    credits.transfer_to_child(parent=parent, child_username=child.username, amount="30", notes="Nov")
    credits.debit(account=parent, amount="4", reason="Own campaign")
    html = client.get("/").content.decode()
    stats = dict(re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', html))
    assert stats["Spent, last 30 days"] == "4.00"
    assert stats["Transferred to your customers, last 30 days"] == "30.00"
    assert "badge-transfer" in client.get("/billing/").content.decode()

    child_client = Client()
    child_client.force_login(child.memberships.get().user)
    child_stats = dict(
        re.findall(
            r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', child_client.get("/").content.decode()
        )
    )
    assert child_stats[f"Received from {parent.name}, last 30 days"] == "30.00"
    assert child_stats["Added, last 30 days"] == "0.00" and child_stats["Spent, last 30 days"] == "0.00"
