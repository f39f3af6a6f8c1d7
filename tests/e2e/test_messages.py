"""Message search and detail in the browser: search by number, open a message from its row, read
its status, explanation and timeline, open the status table from it; the pages fit a phone and a
laptop (layout probe, axe-core) and leave screenshots in test-results/screens/messages/."""

import pytest
from playwright.sync_api import expect

from tests.e2e import tour
from tests.e2e.test_every_page import AXE, AXE_RUN, LAYOUT_PROBLEMS, SCREENS, _log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", list(tour.WIDTHS))
def test_search_a_number_and_read_its_message(browser, site, tmp_path, settings, width):
    world = tour.demo_world(tmp_path, settings)
    w, h = tour.WIDTHS[width]
    out = SCREENS / "messages"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": w, "height": h})
    page = _log_in(context, site, "customer")
    page.goto(f"{site}/reports/messages/")
    page.get_by_label("Recipient").fill("+91 98123 00001")
    page.get_by_role("button", name="Filter").click()
    table = page.locator("#delivery-table")
    expect(table.get_by_text("919812300001")).to_be_visible()
    page.screenshot(path=str(out / f"{width}-search.png"), full_page=True)
    _fits(page, width)
    table.locator(f"a[href='/reports/messages/{world['batch'].uuid}/1/']").click()
    expect(page.get_by_role("heading", name="Message to +919812300001")).to_be_visible()
    expect(page.get_by_role("heading", name="Status history")).to_be_visible()
    history = page.locator("ol.timeline-steps li")
    expect(history.first).to_contain_text("Accepted")
    expect(page.get_by_text("What it means")).to_be_visible()
    expect(page.get_by_text("DEMORT").first).to_be_visible()
    expect(page.get_by_role("heading", name="Webhook deliveries")).to_be_visible()
    page.screenshot(path=str(out / f"{width}-detail.png"), full_page=True)
    _fits(page, width)
    page.get_by_role("link", name="Every status and code").click()
    expect(page.get_by_role("heading", name="Status and DLR codes")).to_be_visible()
    _fits(page, width)
    # A message id typed into the address goes straight to it.
    page.goto(f"{site}/reports/messages/?id={world['batch'].uuid}:1")
    expect(page.get_by_role("heading", name="Message to +919812300001")).to_be_visible()
    context.close()


def _fits(page, width):
    found = page.evaluate(LAYOUT_PROBLEMS, width == "laptop")
    page.add_script_tag(url=AXE)
    found += page.evaluate(AXE_RUN)
    assert found == [], found
