"""Staff area: customers, credit adjustments, account controls, platform audit log."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import AuditEvent, LedgerEntry, LedgerKind, User
from accounts.services import audit, credits
from tests.factories import make_account

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_user(email="staff@example.com", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    client.staff = staff
    return client


def test_customers_are_listed_searched_and_sorted(staff_client, django_assert_max_num_queries):
    make_account(name="Alpha Foods", credits_amount="5")
    make_account(name="Beta Bank", credits_amount="500", email="cfo@beta.example")
    with django_assert_max_num_queries(10):
        html = staff_client.get("/staff/").content.decode()
    assert "Alpha Foods" in html and "Beta Bank" in html
    html = staff_client.get("/staff/?q=cfo@beta", **HX).content.decode()
    assert "Beta Bank" in html and "Alpha Foods" not in html
    html = staff_client.get("/staff/?sort=-balance", **HX).content.decode()
    assert html.index("Beta Bank") < html.index("Alpha Foods")


def test_staff_add_and_deduct_credits_with_a_reason(staff_client, account):
    url = f"/staff/customers/{account.uuid}/credits/"
    res = staff_client.post(url, {"direction": "add", "amount": "50", "reason": "Goodwill"}, **HX)
    assert res.status_code == 200 and "Credits adjusted" in res.content.decode()
    res = staff_client.post(url, {"direction": "deduct", "amount": "30", "reason": "Correction"})
    assert res.status_code == 302
    assert credits.balance(account) == Decimal("120")
    entry = LedgerEntry.objects.filter(account=account, kind=LedgerKind.ADJUSTMENT).first()
    assert entry.actor == staff_client.staff and entry.reason == "Correction"
    assert AuditEvent.objects.filter(account=account, action="credits.adjusted").count() == 2


def test_a_deduction_below_zero_or_without_reason_changes_nothing(staff_client, account):
    url = f"/staff/customers/{account.uuid}/credits/"
    res = staff_client.post(url, {"direction": "deduct", "amount": "100.5", "reason": "Too much"}, **HX)
    assert res.status_code == 422 and "Insufficient credits" in res.content.decode()
    res = staff_client.post(url, {"direction": "add", "amount": "5", "reason": ""}, **HX)
    assert res.status_code == 422
    assert credits.balance(account) == Decimal("100")


def test_staff_deactivate_an_account_and_its_keys_stop(staff_client, account, api_client):
    assert api_client.get("/api/v2/auth/me").status_code == 200
    staff_client.post(f"/staff/customers/{account.uuid}/status/", {"active": "0"})
    account.refresh_from_db()
    assert not account.is_active
    assert api_client.get("/api/v2/auth/me").status_code == 401
    assert AuditEvent.objects.filter(account=account, action="account.deactivated").exists()


def test_staff_set_the_rate_limit(staff_client, account):
    staff_client.post(f"/staff/customers/{account.uuid}/rate-limit/", {"rate_limit": "60"})
    account.refresh_from_db()
    assert account.rate_limit == 60
    res = staff_client.post(f"/staff/customers/{account.uuid}/rate-limit/", {"rate_limit": "0"})
    assert res.status_code == 422
    staff_client.post(f"/staff/customers/{account.uuid}/rate-limit/", {"rate_limit": ""})
    account.refresh_from_db()
    assert account.api_rate_limit is None and account.rate_limit == 1000


def test_the_detail_page_shows_the_customer(staff_client, account, owner):
    html = staff_client.get(f"/staff/customers/{account.uuid}/").content.decode()
    assert account.name in html and owner.email in html and "Ledger" in html


def test_the_platform_audit_log_spans_accounts(staff_client, account, other_account):
    audit.record("api_key.created", account=account, target="one")
    audit.record("api_key.created", account=other_account, target="two")
    html = staff_client.get("/staff/audit/").content.decode()
    assert "one" in html and "two" in html
    html = staff_client.get(f"/staff/audit/?account={other_account.username}", **HX).content.decode()
    assert "two" in html and ">one<" not in html


@pytest.mark.parametrize(
    "url",
    ["/staff/", "/staff/audit/", "/staff/customers/{uuid}/"],
)
def test_customers_get_403_in_the_staff_area(user_client, account, url):
    assert user_client.get(url.format(uuid=account.uuid)).status_code == 403


def test_customers_cannot_post_staff_actions(user_client, account):
    res = user_client.post(
        f"/staff/customers/{account.uuid}/credits/", {"direction": "add", "amount": "1000", "reason": "me"}
    )
    assert res.status_code == 403
    assert credits.balance(account) == Decimal("100")


def test_staff_without_an_account_land_in_the_staff_area(staff_client):
    assert staff_client.get("/")["Location"] == "/staff/"
