"""Every page at laptop (1366 px) and phone (390 px) width: nothing scrolls sideways, nothing is
cut off, axe-core (WCAG 2 A and AA rules) finds no violation, and a screenshot of each is kept in
test-results/screens/<width>/ to look at."""

from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from tests.e2e import tour

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(__file__).resolve().parent.parent.parent / "test-results" / "screens"
LOGINS = {
    "customer": "demo@example.com",
    "reseller": "reseller@example.com",
    "staff": "staff@example.com",
}

# The probe's source without its leading comment (Playwright must see a function).
LAYOUT_PROBLEMS = "\n".join(
    line for line in (Path(__file__).parent / "layout_probe.js").read_text().splitlines() if not line.startswith("//")
)


# axe-core from npm, copied into static/vendor by `npm run build` (make install); served by the
# live server from 'self', so the Content-Security-Policy lets it run.
AXE = "/static/vendor/axe.min.js"
AXE_RUN = """
async () => {
  const rules = {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}};
  const result = await axe.run(document, rules);
  const where = (v) => v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ');
  return result.violations.map((v) => `${v.id} (${v.impact}): ${where(v)}`);
}
"""


def routes(patterns=None, prefix=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name


def test_the_tour_covers_every_page():
    """A page without arguments that is not in the tour (nor declared not a page) fails here."""
    skipped = ("api/", "django-admin/", "v1/", "notify", "s/", "^api/")
    toured = {page.url for page in tour.pages(_fake_world())}
    missing = [
        f"/{path} ({name})"
        for path, name in routes()
        if "<" not in path
        and not path.startswith(skipped)
        and name not in tour.NOT_PAGES | tour.NOT_YET_TOURED
        and f"/{path}" not in toured
    ]
    assert missing == []


def _fake_world():
    class Any:
        uuid = pk = "x"

    return {key: Any() for key in ("demo", "child", "contact", "segment", "sender", "webhook", "delivery", "batch")} | {
        "contact_import": Any(),
        "connector": Any(),
        "pending_template": Any(),
        "call_group": Any(),
    }


def _log_in(context, site, role):
    page = context.new_page()
    if role != "anonymous":
        from portal.management.commands.seed_demo import DEMO_PASSWORD

        page.goto(f"{site}/login/")
        page.get_by_label("Email").fill(LOGINS[role])
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.mark.parametrize("width", list(tour.WIDTHS))
def test_every_page_fits(browser, site, tmp_path, settings, width):
    world = tour.demo_world(tmp_path, settings)
    w, h = tour.WIDTHS[width]
    (SCREENS / width).mkdir(parents=True, exist_ok=True)
    problems, sessions = {}, {}
    for entry in tour.pages(world):
        if entry.role not in sessions:
            context = browser.new_context(viewport={"width": w, "height": h})
            sessions[entry.role] = (context, _log_in(context, site, entry.role))
        _, page = sessions[entry.role]
        response = page.goto(f"{site}{entry.url}")
        assert response.status == 200, (entry.url, response.status)
        page.screenshot(path=str(SCREENS / width / f"{entry.role}-{entry.name}.png"), full_page=True)
        found = page.evaluate(LAYOUT_PROBLEMS, width == "laptop")
        assert isinstance(found, list), found  # the probe ran
        page.add_script_tag(url=AXE)
        found += page.evaluate(AXE_RUN)
        if found:
            problems[f"{entry.role} {entry.url}"] = found
    for context, _ in sessions.values():
        context.close()
    report = "\n".join(f"{where}: {'; '.join(found)}" for where, found in problems.items())
    assert not problems, f"{len(problems)} pages do not fit at {w} px:\n{report}"


def test_the_phone_menu_is_a_drawer(browser, site, tmp_path, settings):
    tour.demo_world(tmp_path, settings)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = _log_in(context, site, "customer")
    menu = page.get_by_role("button", name="Menu")
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_be_hidden()
    menu.click()
    expect(sidebar).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sidebar.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    page.locator("[data-drawer-backdrop]").click(position={"x": 370, "y": 400})
    expect(sidebar).to_be_hidden()
    menu.click()
    sidebar.get_by_role("link", name="Contacts").click()
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    context.close()
