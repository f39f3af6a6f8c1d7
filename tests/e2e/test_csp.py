"""The pages work under their Content-Security-Policy: htmx requests, swaps, dialogs and
confirmations run, and the browser reports no violation on the way."""

import pytest
from playwright.sync_api import expect

from accounts.models import ApiKey, Membership, Role
from contacts.models import Tag
from contacts.services import tags
from tests.e2e.test_login_and_api_key import log_in
from tests.factories import make_account, make_key, make_member

pytestmark = pytest.mark.django_db(transaction=True)

# Every violation the page sees is also written to the console, where the test collects it
# (the console listener outlives navigations; a page's own listeners do not).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${where})`);
});
"""


@pytest.fixture
def watched(page):
    messages = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: messages.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: messages.append(f"page error: {e}"))
    return page, messages


def csp_problems(messages):
    return [m for m in messages if "CSP violation" in m or "Content Security Policy" in m or "page error" in m]


def test_htmx_pages_work_under_the_policy_without_a_violation(watched, site):
    page, messages = watched
    account, owner = make_account(name="CSP Co", credits_amount="10")
    developer = make_member(account, Role.DEVELOPER, email="dev@example.com")
    make_key(account, name="Dev integration", actor=developer)
    tags.create_tag(account=account, data={"name": "vip"})

    log_in(page, site, owner.email)
    policy = page.request.get(f"{site}/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy

    # htmx POST from a dialog: the answer swaps the form, the secret and the table out of band,
    # and closes the dialog through an HX-Trigger event (no inline script).
    page.goto(f"{site}/developers/api-keys/")
    page.get_by_role("button", name="Create API key").click()
    dialog = page.locator("#key-dialog")
    dialog.get_by_label("Name").fill("CSP key")
    dialog.get_by_label("Send only: send messages; read nothing").check()
    dialog.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-secret")).to_be_visible()
    expect(dialog).not_to_be_visible()
    expect(page.locator("#key-table")).to_contain_text("CSP key")
    assert ApiKey.objects.get(account=account, name="CSP key").scopes == ["send"]

    # htmx GET while typing (search with a delay trigger).
    page.get_by_label("Search").fill("Dev")
    expect(page.locator("#key-table")).not_to_contain_text("CSP key")
    expect(page.locator("#key-table")).to_contain_text("Dev integration")

    # A fragment loaded into the shared modal, then posted: the member's key decision.
    page.goto(f"{site}/team/")
    row = page.locator("tr", has_text="dev@example.com")
    row.get_by_role("link", name="Remove").click()
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("Dev integration")
    modal.get_by_role("button", name="Remove member").click()
    expect(modal).not_to_be_visible()
    expect(page.locator("#team-tables")).not_to_contain_text("dev@example.com")
    assert not Membership.objects.filter(account=account, user=developer).exists()
    assert ApiKey.objects.get(name="Dev integration").revoked_at is not None

    # A plain form's confirmation comes from portal.js (`data-confirm`), not an inline handler.
    page.goto(f"{site}/contacts/tags/")
    page.once("dialog", lambda d: d.dismiss())
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("body")).to_contain_text("vip")
    assert Tag.objects.filter(account=account, name="vip").exists()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_load_state()
    assert not Tag.objects.filter(account=account, name="vip").exists()

    # Pages with secrets and pictures: 2FA setup draws its QR code as SVG.
    page.goto(f"{site}/settings/security/2fa/setup/")
    expect(page.locator("#totp-secret")).to_be_visible()
    page.goto(f"{site}/developer/webhooks/deliveries/")

    assert csp_problems(messages) == []

    # The watch works: markup with an inline style is refused and reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>')")
    page.wait_for_timeout(300)
    assert any("style-src" in m for m in csp_problems(messages))


def test_the_account_switcher_submits_without_an_inline_handler(watched, site):
    page, messages = watched
    first, owner = make_account(name="First Co")
    second, _ = make_account(name="Second Co")
    Membership.objects.create(account=second, user=owner, role=Role.ADMIN)
    log_in(page, site, owner.email)
    with page.expect_navigation():  # the change submits the form (portal.js `data-autosubmit`)
        page.get_by_label("Account").select_option(label="Second Co")
    expect(page.locator("#account-switch")).to_have_value(str(second.uuid))
    assert csp_problems(messages) == []
