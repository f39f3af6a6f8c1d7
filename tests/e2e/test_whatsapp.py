"""WhatsApp in the browser, against the Cloud API simulator over HTTP: a customer builds a Meta
template and sees Meta approve it, sends it to a segment and watches it read, gets a customer's
reply in the inbox and answers it inside the window."""

import pytest
from playwright.sync_api import expect

from contacts.services.contacts import create_contact
from contacts.services.identifiers import add_identifier
from contacts.services.segments import count_segment, create_segment
from messaging.channels.whatsapp import numbers
from messaging.channels.whatsapp.simulator.process import SimulatorProcess
from messaging.models import AccountProduct, Product
from messaging.pricing.services import save_price
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "browser-test-secret"
BUSINESS = "919019120000"
CUSTOMERS = ("919876543210", "919876543211")
QUICK = {"sent_after": 0.05, "delivered_after": 0.1, "read_after": 0.2, "review_seconds": 0.5, "errors": {},
         "delivered_ratio": 1.0, "read_ratio": 1.0, "duplicate_ratio": 0.3, "out_of_order_ratio": 0.3,
         "seed": 3}  # fmt: skip


@pytest.fixture
def simulator(live_server):
    with SimulatorProcess(
        webhook_url=f"{live_server.url}/whatsapp/cloud/webhook", app_secret=SECRET, config=QUICK
    ) as sim:
        yield sim


def test_template_approved_sent_to_a_segment_reply_in_the_inbox(page, site, simulator):
    account, owner = make_account(name="Chat Co", credits_amount="50")
    AccountProduct.objects.create(account=account, product=Product.objects.get(code="WAP"))
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    save_price(data={"service": "WAP", "iso": "IN", "sale_price": "0.3", "sub_service": "WUC"})
    details = {"number": BUSINESS, "display_name": "Chat Co", "api_base_url": simulator.url, "app_secret": SECRET}
    number = numbers.onboard(account=account, data=details)
    for i, customer in enumerate(CUSTOMERS):
        contact = create_contact(account=account, data={"identity": f"c{i}", "phone": customer, "tags": ["vip"]})
        add_identifier(contact=contact, data={"type": "whatsapp", "value": customer})
    count_segment(create_segment(account=account, data={"name": "VIP chat", "positive_tags": ["vip"]}))

    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Build a Meta template: the phone preview follows the fields, limits show inline.
    page.get_by_role("link", name="Templates", exact=True).click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name", exact=True).fill("order_update")
    page.get_by_label("Category").select_option("utility")
    page.get_by_label("Header", exact=True).select_option("text")
    page.get_by_label("Header text").fill("x" * 61)
    preview = page.locator("#template-preview")
    expect(preview).to_contain_text("may not be greater than 60 characters")
    page.get_by_label("Header text").fill("Order {{order}}")
    page.get_by_label("Body", exact=True).fill("Hi {{name}}, your order ships today.")
    page.get_by_label("Buttons").select_option("reply")
    page.get_by_label("Quick reply 1").fill("Track")
    page.get_by_label("Quick reply 2").fill("Help")
    expect(preview.locator(".wa-phone")).to_contain_text("Hi {{name}}, your order ships today.")
    expect(preview).to_contain_text("Within every WhatsApp limit")
    page.get_by_role("button", name="Save template").click()
    status = page.locator("#template-status")
    expect(status).to_contain_text("Pending")
    expect(status).to_contain_text("Approved", timeout=15_000)  # Meta's (the simulator's) review webhook

    # Send it to the segment: the summary is the send's own quote.
    page.get_by_role("link", name="Send WhatsApp").click()
    page.get_by_label("Type").select_option("template")
    page.get_by_label("Template").select_option(label="order_update (utility, 1 variable)")
    page.get_by_label("Header value").fill("1042")
    page.get_by_label("Body values").fill("Asha")
    page.get_by_label("VIP chat (2 contacts)").check()
    summary = page.locator("#compose-preview")
    expect(summary).to_contain_text("2 of 2 to send")
    expect(summary).to_contain_text("0.6000")
    page.get_by_role("button", name="Send").click()
    table = page.locator("#message-table")
    expect(table).to_contain_text("read: 2", timeout=20_000)

    # A customer answers; the inbox shows it with the window open, and the reply goes out.
    inbound = {"phone_number_id": number.phone_number_id, "from": CUSTOMERS[0], "text": "Where is it now?"}
    simulator.control("inbound", {**inbound, "profile_name": "Asha"})
    page.get_by_role("link", name="Inbox", exact=True).click()
    expect(page.locator("#conversation-list")).to_contain_text("Where is it now?", timeout=10_000)
    expect(page.locator("#conversation-list")).to_contain_text("Open ·")
    page.get_by_role("link", name="Open").first.click()
    page.get_by_role("textbox", name="Message").fill("Out for delivery, arriving by 5 pm.")
    page.get_by_role("button", name="Send reply").click()
    thread = page.locator(".wa-thread")
    expect(thread).to_contain_text("Out for delivery, arriving by 5 pm.")
    expect(thread).to_contain_text("read", timeout=20_000)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
