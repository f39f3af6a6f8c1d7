"""A customer logs in, creates an API key with a whitelist, sees the secret once, revokes it."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import ApiKey
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customer():
    account, owner = make_account(name="Browser Co", credits_amount="42")
    return account, owner


def log_in(page, site, email):
    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_login_and_api_key_lifecycle(page, site, customer):
    account, owner = customer
    log_in(page, site, owner.email)
    expect(page.locator("#balance-badge")).to_contain_text("42.00")

    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    page.get_by_role("button", name="Create API key").click()
    dialog = page.locator("#key-dialog")
    dialog.get_by_label("Name").fill("Browser key")
    dialog.get_by_label("IP whitelist").fill("127.0.0.1, 2001:db8::/32")
    dialog.get_by_role("button", name="Create key").click()

    secret = page.locator("#new-key-secret").inner_text().strip()
    assert re.fullmatch(r"pk_[\w-]{40,}", secret)
    expect(page.locator("#key-table")).to_contain_text("Browser key")
    expect(page.locator("#key-table")).to_contain_text("2001:db8::/32")

    key = ApiKey.objects.get(account=account)
    assert key.ip_whitelist == ["127.0.0.1/32", "2001:db8::/32"]
    api = Client()
    assert api.get("/api/v2/auth/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    page.reload()
    expect(page.locator("#new-key-secret")).to_have_count(0)
    assert secret not in page.content()

    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("#key-table")).to_contain_text("Revoked")
    assert api.get("/api/v2/auth/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_pages_fit_a_phone_screen(page, site, customer, tmp_path):
    _, owner = customer
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, site, owner.email)
    for path in ["/", "/developers/api-keys/", "/team/", "/billing/"]:
        page.goto(f"{site}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px"
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Team")).to_be_visible()
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)


def test_a_wrong_password_keeps_the_user_out(page, site, customer):
    _, owner = customer
    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("The e-mail address or password is incorrect.")).to_be_visible()
