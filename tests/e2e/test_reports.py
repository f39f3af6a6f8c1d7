"""A customer reads the reports on a desktop and on a phone: charts drawn, tables beside them,
nothing cut off; filtering the delivery report swaps the table in place."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from messaging.channels.sms import sending
from messaging.pipeline.models import Message
from tests.e2e.test_registry_review import log_in
from tests.factories import make_account
from tests.messaging.reports.pipeline_steps import dispatch, earlier_today, send, senders_and_prices

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parent.parent.parent / "test-results"


def _ranges():
    from messaging.operators import lookup, services

    services.load("GB,447400,UK Mobile\nIN,9198,Jio\n", kind="prefixes")
    lookup.changed()


def _traffic(account):
    _ranges()
    senders_and_prices(account)
    when = earlier_today(account, timedelta(hours=2))  # the pages open on today
    for count, uk, name in ((12, True, "Winter sale"), (5, False, "OTP burst")):
        batch = send(account, when, count, uk=uk)
        batch.name = name
        batch.save()
        dispatch(batch, when, refuse=uk)
    ids = list(
        Message.objects.exclude(supplier_message_id="").order_by("id").values_list("supplier_message_id", flat=True)
    )
    sending.apply_dlrs(
        supplier="simulator",
        receipts=[(sid, "DELIVRD", "000") for sid in ids[:8]],
        delivered_at=when + timedelta(seconds=25),
    )
    sending.apply_dlrs(supplier="simulator", receipts=[(ids[8], "ABSENT-SUB", "010")], delivered_at=when)


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("width", [1366, 390])
def test_dashboard_and_reports_at_desktop_and_phone_width(page, site, settings, width):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    account, owner = make_account(name="Report Co", credits_amount="500")
    _traffic(account)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, site, owner.email)
    SHOTS.mkdir(exist_ok=True)

    page.goto(f"{site}/reports/?period=today")
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    charts = page.locator("canvas[data-chart]")
    expect(charts.first).to_have_attribute("data-drawn", "1")
    assert charts.count() == 6  # channel, product, sender, country, operator, delivery time
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 100 and box["height"] > 100
    expect(page.locator(".stat").first).to_contain_text("17")
    expect(page.get_by_text("absent subscriber")).to_be_visible()
    expect(page.locator("#running")).to_contain_text("OTP burst")  # Winter sale has every outcome
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"reports-dashboard-{width}.png"), full_page=True)

    page.get_by_label("Operator", exact=True).select_option("Jio")  # the operator filter: only the Indian messages
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".stat").first).to_contain_text("5")
    assert "operator=Jio" in page.url
    page.goto(f"{site}/reports/?period=today")

    page.get_by_role("link", name="Last 7 days").click()  # HTMX swap, charts redrawn
    expect(page).to_have_url(f"{site}/reports/?period=7d")
    expect(page.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "1")

    page.locator("a.stat", has_text="Delivered").click()
    expect(page.get_by_role("heading", name="Delivery report")).to_be_visible()
    expect(page.locator("#delivery-table tbody tr")).to_have_count(8)
    page.get_by_label("Outcome").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#delivery-table tbody tr")).to_have_count(5)  # 4 refused, 1 absent
    expect(page.locator("#delivery-table")).to_contain_text("Refused by the supplier after payment")
    expect(page.locator("#delivery-table")).to_contain_text("UK Mobile")
    assert "outcome=failed" in page.url
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"reports-delivery-{width}.png"), full_page=True)

    page.locator("#delivery-table tr", has_text="REJECTED").first.locator("a[href*='/reports/campaigns/']").click()
    expect(page.get_by_role("heading", name="Winter sale")).to_be_visible()
    expect(page.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "1")
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"reports-campaign-{width}.png"), full_page=True)

    page.goto(f"{site}/reports/credits/")
    expect(page.get_by_role("heading", name="Credit reconciliation")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"reports-credits-{width}.png"), full_page=True)

    page.goto(f"{site}/reports/schedules/")
    page.get_by_label("Name").fill("Daily digest")
    page.get_by_label("Recipients").fill("ops@example.com")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"reports-schedules-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_staff_margins_and_operators_at_desktop_and_phone_width(page, site, settings, width):
    from accounts.models import User
    from tests.factories import PASSWORD

    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    account, _ = make_account(name="Report Co", credits_amount="500")
    _traffic(account)
    User.objects.create_user(email="ops@example.com", password=PASSWORD, is_staff=True)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, site, "ops@example.com")
    SHOTS.mkdir(exist_ok=True)

    page.goto(f"{site}/staff/reports/")
    page.get_by_role("textbox", name="Supplier").fill("simulator")
    page.get_by_role("textbox", name="Country (ISO code)").fill("GB")
    page.get_by_label("Cost per unit").fill("1.5")
    page.get_by_role("button", name="Save").click()
    margins = page.locator("section", has=page.get_by_role("heading", name="Margins per route, last 24 hours"))
    expect(margins).to_contain_text("25.0%")  # 2.00 charged, 1.50 cost
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"staff-margins-{width}.png"), full_page=True)

    page.goto(f"{site}/staff/operators/")
    expect(page.get_by_role("heading", name="Mobile operators")).to_be_visible()
    expect(page.locator("table")).to_contain_text("UK Mobile")
    page.get_by_role("textbox", name="Country (ISO code)").fill("IN")
    page.get_by_role("textbox", name="Prefix").fill("9190")
    page.get_by_role("textbox", name="Operator").fill("Airtel")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("table")).to_contain_text("Airtel")
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"staff-operators-{width}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _forget_the_operator_table():
    yield
    from messaging.operators import lookup

    lookup._Table.version, lookup._Table.checked = object(), 0.0
