"""The Django admin works under the Content-Security-Policy in a browser: its pages load, their
scripts run (the change list's selection counter and action bar, the filter sidebar, a list without
an action bar), and the browser reports no violation."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.admin import LedgerEntryAdmin
from accounts.models import User
from accounts.services import credits
from tests.e2e.test_csp import REPORT_VIOLATIONS, csp_problems
from tests.factories import PASSWORD, make_account, make_key
from tests.test_admin_csp import admin_pages

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched(page):
    messages = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: messages.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: messages.append(f"page error: {e}"))
    return page, messages


def test_the_admin_runs_under_the_policy_without_a_violation(watched, site, monkeypatch):
    page, messages = watched
    account, _ = make_account(name="Admin Co", credits_amount="10")
    make_key(account, name="Integration")
    credits.debit(account=account, amount="1", reason="traffic")
    root = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    # The ledger's list without an action bar: Django would style its first column inline.
    monkeypatch.setattr(LedgerEntryAdmin, "actions_on_top", False)

    page.goto(f"{site}/django-admin/login/")
    page.get_by_label("Email").fill("root@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    policy = page.request.get(f"{site}/django-admin/").headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    for path in admin_pages(root):
        page.goto(f"{site}{path}")
        expect(page.locator("#content")).to_be_visible()

    page.goto(f"{site}{reverse('admin:accounts_apikey_changelist')}")
    page.locator("input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
    page.goto(f"{site}{reverse('admin:accounts_account_changelist')}")
    expect(page.locator("#changelist-filter")).to_be_visible()
    page.goto(f"{site}{reverse('admin:accounts_ledgerentry_changelist')}")
    page.wait_for_load_state("load")
    assert csp_problems(messages) == []
    expect(page.locator("body.no-action-bar")).to_have_count(1)
