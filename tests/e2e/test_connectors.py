"""Staff point a channel at a supplier connector and see where its traffic goes, on a desktop
and on a phone."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.test_registry_review import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parent.parent.parent / "test-results"


@pytest.mark.parametrize("width", [1366, 390])
def test_staff_configure_a_default_connector(page, site, width):
    User.objects.create_user(email="ops@example.com", password=PASSWORD, is_staff=True)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, site, "ops@example.com")
    page.goto(f"{site}/staff/connectors/")
    expect(page.get_by_text("No connectors configured")).to_be_visible()
    page.get_by_label("Name").fill("sim-eu")
    page.get_by_label("Rate per second").fill("250")
    page.get_by_label("Default for its channel").check()
    page.get_by_role("button", name="Save connector").click()
    expect(page.get_by_text("Connector saved.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("sim-eu · 250 / s")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"connectors-{width}.png"), full_page=True)
