"""A customer composes an SMS, sees parts and cost live, sends it and watches it reach DELIVRD."""

import pytest
from playwright.sync_api import expect

from messaging.pricing.services import save_price
from messaging.review import services as review
from messaging.senders import services as registry
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)


def test_compose_send_and_watch_delivery(page, site, settings):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    account, owner = make_account(name="Sender Co", credits_amount="50")
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "2"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "SenderCo", "service": "G", "country_code": "GB"})
    )

    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Send SMS").click()

    page.get_by_label("Service").select_option("G")
    page.get_by_label("Recipients").fill("447400123456, 447400123457")
    page.get_by_label("Message").fill("Hello from the portal ✓")
    preview = page.locator("#send-preview")
    expect(preview).to_contain_text("Unicode")
    expect(preview).to_contain_text("2 of 2")
    expect(preview).to_contain_text("4.0000")
    page.get_by_label("Message").fill("Hello from the portal")
    expect(preview).to_contain_text("GSM-7")
    page.get_by_label("Campaign name").fill("Browser launch")
    page.get_by_role("button", name="Send to 2 recipients").click()

    expect(page.get_by_role("heading", name="Browser launch")).to_be_visible()
    expect(page.locator(".status-counts")).to_contain_text("DELIVRD: 2")
    expect(page.locator("#balance-badge")).to_contain_text("46.00")
