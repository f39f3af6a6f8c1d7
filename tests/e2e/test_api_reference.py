"""The API reference page (`/api/docs/`, Redoc from the portal's static files) at laptop (1366 px)
and phone (390 px) width: the introduction, an operation's description and its code samples
show, nothing scrolls sideways, and a screenshot of each width is kept in
test-results/screens/<width>/api_reference.png to look at."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e import tour

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(__file__).resolve().parent.parent.parent / "test-results" / "screens"


@pytest.mark.parametrize("width", list(tour.WIDTHS))
def test_the_reference_shows_descriptions_and_samples(page, site, width):
    page.set_viewport_size(dict(zip(("width", "height"), tour.WIDTHS[width], strict=True)))
    # Redoc reads and lays out a 2 MB schema in the browser: tens of seconds on a busy machine.
    page.set_default_timeout(180_000)
    page.goto(f"{site}/api/docs/")
    expect(page.get_by_role("heading", name="Quick start")).to_be_visible(timeout=180_000)
    description = page.get_by_text("Exchanges the API key (sent as bearer) for a short-lived bearer token").first
    description.scroll_into_view_if_needed()
    expect(description).to_be_visible()
    # The samples of that operation: Redoc's tabs carry the labels the reference gives them.
    expect(page.get_by_role("tab", name="PHP").first).to_be_attached()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls {overflow} px sideways at {width} width"
    (SCREENS / width).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / width / "api_reference.png"))
    description.screenshot(path=str(SCREENS / width / "api_reference_operation.png"))
