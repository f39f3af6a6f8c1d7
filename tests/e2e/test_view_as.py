"""Staff view a customer as it sees the portal, and a reseller drills into its customer: read-only,
with a banner, until "Stop viewing"."""

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent, User
from accounts.services import credits
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, site, email):
    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_staff_view_as_customer(page, site):
    customer, _ = make_account(name="Viewed Co", credits_amount="80")
    credits.debit(account=customer, amount="5", reason="Campaign Spring")
    User.objects.create_user(email="ops@example.com", password=PASSWORD, is_staff=True)
    log_in(page, site, "ops@example.com")
    page.goto(f"{site}/staff/customers/{customer.uuid}/")
    page.get_by_role("button", name="View as customer").click()

    banner = page.get_by_role("status").filter(has_text="You are viewing")
    expect(banner).to_contain_text("Viewed Co")
    expect(banner).to_contain_text("read-only")
    page.get_by_role("link", name="Credits", exact=True).click()
    expect(page.get_by_text("Campaign Spring")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)  # the alert form is not offered
    page.get_by_role("link", name="Sender IDs").click()
    expect(page.get_by_role("link", name="Register sender ID")).to_have_count(0)

    banner.get_by_role("button", name="Stop viewing").click()
    expect(page.get_by_role("heading", name="Viewed Co")).to_be_visible()  # back on the staff page
    expect(page.get_by_text("You are viewing")).to_have_count(0)
    paths = set(AuditEvent.objects.filter(account=customer, action="support.viewed").values_list("target", flat=True))
    assert {"/", "/billing/", "/sms/senders/"} <= paths


def test_reseller_drills_into_a_customer(page, site):
    reseller, owner = make_account(name="Resell Co", credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=reseller, name="Child Ltd", credits_amount="7")
    log_in(page, site, owner.email)
    page.get_by_role("link", name="Customers").click()
    row = page.get_by_role("row").filter(has_text="Child Ltd")
    row.get_by_role("button", name="View account").click()

    expect(page.get_by_text("You are viewing Child Ltd as its reseller")).to_be_visible()
    expect(page.locator("#balance-badge")).to_contain_text("7.00")
    page.get_by_role("button", name="Stop viewing").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.locator("#balance-badge")).to_contain_text("100.00")
