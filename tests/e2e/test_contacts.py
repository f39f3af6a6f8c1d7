"""A customer imports contacts from a CSV through the wizard, builds a segment watching its live
count, and sends an SMS to it."""

import re

import pytest
from playwright.sync_api import expect

from messaging.pricing.services import save_price
from messaging.review import services as review
from messaging.senders import services as registry
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Mobile,First name,City,Tags\n"
    "+447400123456,Asha,Leeds,vip\n"
    "447400123457,Tom,York,\n"
    "not-a-number,Broken,Leeds,\n"
    "447400123458,Bo,Leeds,vip\n"
)


def test_import_segment_and_send(page, site, settings, tmp_path):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    settings.MEDIA_ROOT = str(tmp_path)
    account, owner = make_account(name="Audience Co", credits_amount="50")
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "AudCo", "service": "G", "country_code": "GB"})
    )

    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Upload -> map -> run -> result
    page.get_by_role("link", name="Imports").click()
    expect(page.get_by_text("No imports yet.")).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "fair.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Which column holds what?")).to_be_visible()
    expect(page.get_by_label("Import Mobile as")).to_have_value("phone")
    expect(page.get_by_label("Import City as")).to_have_value("city")
    page.get_by_label("Tag every imported contact").fill("fair")
    page.get_by_role("button", name="Import 4 rows").click()
    progress = page.locator("#import-progress")
    expect(progress.get_by_role("heading", name="Result")).to_be_visible()
    expect(progress).to_contain_text("4 of 4 rows · 100%")
    expect(progress.locator('[data-count="added"]')).to_have_text("3")
    expect(progress.locator('[data-count="invalid"]')).to_have_text("1")
    expect(progress).to_contain_text("not-a-number")
    page.get_by_role("link", name="View contacts").click()
    table = page.locator("#contact-table")
    for name in ("Asha", "Tom", "Bo"):
        expect(table).to_contain_text(name)
    expect(table).not_to_contain_text("Broken")

    # Segment with a live count as rules change
    page.get_by_role("link", name="Segments").first.click()
    page.get_by_role("link", name="New segment").click()
    page.get_by_label("Name", exact=True).fill("Leeds VIPs")
    count = page.locator("#segment-count")
    page.get_by_label("Value").fill("fair")
    expect(count).to_contain_text("3 contacts match")
    page.get_by_role("button", name="Add rule").click()
    rows = page.locator(".rule-row")
    expect(rows).to_have_count(2)
    # htmx wires a swapped-in row up once it settles (the class goes then).
    expect(rows.nth(1)).not_to_have_class(re.compile("htmx-(added|settling)"))
    rows.nth(1).get_by_label("Field").select_option("city")
    expect(rows.nth(1).get_by_label("Operator")).to_have_value("eq")
    rows.nth(1).get_by_label("Value").fill("Leeds")
    expect(count).to_contain_text("2 contacts match")
    page.get_by_role("button", name="Add rule").click()
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).not_to_have_class(re.compile("htmx-(added|settling)"))
    rows.nth(2).get_by_label("Value").fill("vip")
    expect(count).to_contain_text("2 contacts match")
    rows.nth(2).get_by_role("button", name="Remove this rule").click()
    expect(rows).to_have_count(2)
    expect(count).to_contain_text("2 contacts match")
    page.get_by_role("button", name="Create segment").click()
    expect(page.get_by_role("heading", name="Leeds VIPs")).to_be_visible()
    members = page.locator("#segment-members")
    expect(members).to_contain_text("Asha")
    expect(members).to_contain_text("Bo")
    expect(members).not_to_contain_text("Tom")

    # Send to the segment
    page.get_by_role("link", name="Send SMS to this segment").click()
    page.get_by_label("Service").select_option("G")
    expect(page.get_by_label("Leeds VIPs (2 contacts)")).to_be_checked()
    page.get_by_label("Message").fill("Hello from the fair")
    expect(page.locator("#send-preview")).to_contain_text("2 of 2")
    page.get_by_label("Campaign name").fill("Fair follow-up")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Fair follow-up")).to_be_visible()
    expect(page.locator(".status-counts")).to_contain_text("DELIVRD: 2")


def test_a_workbook_is_read_in_the_background_then_mapped(page, site, settings, tmp_path, monkeypatch):
    from contacts.imports import services
    from tests.contacts.import_helpers import xlsx_upload

    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(services, "_queue_inspection", lambda job_id: None)  # the test plays the worker
    account, owner = make_account(name="Sheets Co")
    job = services.create_import(account=account, upload=xlsx_upload([["Mobile", "City"], ["447400123456", "Leeds"]]))

    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site}/contacts/imports/{job.pk}/")
    expect(page.get_by_role("heading", name="Reading the workbook…")).to_be_visible()
    services.inspect_import(job.pk)  # the worker reads it; the polling page moves on by itself
    expect(page.get_by_role("heading", name="Which column holds what?")).to_be_visible(timeout=10_000)
    expect(page.get_by_label("Import Mobile as")).to_have_value("phone")
