"""The same portal as two brands on two `*.localhost` names (Chromium sends them to loopback),
and a reseller editing its brand with the live preview, on a desktop and on a phone."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.brands import services
from accounts.brands.models import Brand
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parent.parent.parent / "test-results"
WIDTHS = [1366, 390]


def _on(site, host):
    return site.replace("localhost", host)


def _colour(page, selector, prop="background-color"):
    return page.eval_on_selector(selector, f"el => getComputedStyle(el).getPropertyValue('{prop}')")


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


def _watch_csp(page):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    return violations


@pytest.mark.parametrize("width", WIDTHS)
def test_the_same_login_page_under_two_brands(page, site, width):
    brand_a, brand_b = services.install_catalogued()
    _, owner_b = make_account(brand=brand_b, name="Logistics NV")
    violations = _watch_csp(page)
    page.set_viewport_size({"width": width, "height": 900})
    SHOTS.mkdir(exist_ok=True)
    for brand, colour in ((brand_a, "rgb(185, 58, 26)"), (brand_b, "rgb(106, 27, 154)")):
        page.goto(f"{_on(site, f'{brand.slug}.localhost')}/login/")
        expect(page).to_have_title(f"Log in · {brand.name}")
        expect(page.locator(".login-title")).to_have_text(brand.login_title)
        expect(page.locator("main button[type=submit]")).to_have_css("background-color", colour)
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / f"brand-login-{brand.slug}-{width}.png"), full_page=True)
    # Brand B's customer logs in on brand B's host and works in brand B's portal.
    page.goto(f"{_on(site, 'bics.localhost')}/login/")
    page.get_by_label("Email").fill(owner_b.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page).to_have_title("Dashboard · BICS")
    assert "MOBtexting" not in page.content()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"brand-dashboard-bics-{width}.png"), full_page=True)
    assert violations == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reseller_edits_its_brand_with_a_live_preview(page, site, width):
    brand_a, _ = services.install_catalogued()
    account, owner = make_account(brand=brand_a, is_reseller=True, name="Northwind Ltd")
    violations = _watch_csp(page)
    page.set_viewport_size({"width": width, "height": 900})
    host = _on(site, "mobtexting.localhost")
    page.goto(f"{host}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{host}/brand/settings/")
    preview_button = ".brand-preview .brand-preview-button"
    page.get_by_label("Name", exact=True).fill("Northwind Messaging")
    expect(page.locator("#brand-preview")).to_contain_text("Northwind Messaging")
    page.get_by_label("Main colour", exact=True).fill("#0a7d55")
    expect(page.locator(preview_button)).to_have_css("background-color", "rgb(10, 125, 85)")
    # The rest of the page keeps the brand it is served under until the brand is saved.
    assert _colour(page, ".brand-editor button[type=submit]") == "rgb(185, 58, 26)"
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"brand-editor-{width}.png"), full_page=True)
    page.get_by_role("button", name="Save brand").click()
    expect(page.get_by_text("Northwind Messaging saved.")).to_be_visible()
    assert Brand.objects.get(account=account).primary_colour == "#0a7d55"
    page.get_by_role("link", name="Preview as your customer").click()
    expect(page.locator(".brand-line")).to_contain_text("Northwind Messaging")
    # The saved colour, page-wide (the preview's stylesheet sets the variables on :root).
    expect(page.locator("main button").first).to_have_css("background-color", "rgb(10, 125, 85)")
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"brand-customer-preview-{width}.png"), full_page=True)
    assert violations == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reseller_adds_a_domain_and_reads_its_readiness(page, site, width):
    brand_a, _ = services.install_catalogued()
    account, owner = make_account(brand=brand_a, is_reseller=True, name="Northwind Ltd")
    Brand.objects.create(
        account=account, slug="northwind", name="Northwind Messaging", email_from="hello@northwind.test"
    )
    violations = _watch_csp(page)
    page.set_viewport_size({"width": width, "height": 900})
    host = _on(site, "mobtexting.localhost")
    page.goto(f"{host}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{host}/brand/domains/")
    page.get_by_label("Domain").fill("portal.northwind.test")
    page.get_by_role("button", name="Add domain").click()
    card = page.locator(".domain-card").first
    expect(card).to_contain_text("portal.northwind.test")
    expect(card).to_contain_text("_domain-verify.portal.northwind.test")
    expect(page.locator("#mail-records")).to_contain_text("_dmarc.northwind.test")
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"brand-domains-{width}.png"), full_page=True)
    page.goto(f"{host}/brand/readiness/")
    expect(page.get_by_role("heading", name="Is Northwind Messaging ready?")).to_be_visible()
    expect(page.locator(".readiness").first).to_contain_text("none until the domain is verified")
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"brand-readiness-{width}.png"), full_page=True)
    assert violations == []
