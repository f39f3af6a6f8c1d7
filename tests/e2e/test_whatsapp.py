"""WhatsApp in the browser, against the Cloud API simulator over HTTP: a customer builds a Meta
template and sees Meta approve it, sends it to a segment and watches it read, gets a customer's
reply in the inbox and answers it inside the window; the composer names an over-limit field as it
is typed; merge fields show each recipient's own message in the summary, and an inbox reply takes
a template's values one field each, merged from the customer's contact. The builder's, the
composer's and the reply's states are screenshotted at 1366 and 390 px
(test-results/screens/<width>/whatsapp-*.png), checked by the layout probe and axe."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.services.contacts import create_contact
from contacts.services.identifiers import add_identifier
from contacts.services.segments import count_segment, create_segment
from messaging.channels.whatsapp import message_templates, numbers, window
from messaging.channels.whatsapp.models import TemplateStatus, WhatsappTemplate
from messaging.channels.whatsapp.simulator.process import SimulatorProcess
from messaging.models import AccountProduct, Product
from messaging.pricing.services import save_price
from tests.e2e import tour
from tests.e2e.test_every_page import AXE, AXE_RUN, LAYOUT_PROBLEMS, SCREENS
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "browser-test-secret"
BUSINESS = "919019120000"
CUSTOMERS = ("919876543210", "919876543211")
QUICK = {"sent_after": 0.05, "delivered_after": 0.1, "read_after": 0.2, "review_seconds": 0.5, "errors": {},
         "delivered_ratio": 1.0, "read_ratio": 1.0, "duplicate_ratio": 0.3, "out_of_order_ratio": 0.3,
         "seed": 3}  # fmt: skip
ORDER_TEMPLATE = {
    "type": "template", "name": "order_update", "category": "utility", "language": "en", "is_conversation": False,
    "number": BUSINESS,
    "payload": {
        "header": {"type": "text", "payload": {"text": "Order {{order}}"}, "params": ["1042"]},
        "body": {"type": "text", "payload": {"text": "Hi {{name}}, your order ships today."}, "params": ["Asha"]},
    },
}  # fmt: skip


def check_layout(page, name):
    """Screenshots at both widths (test-results/screens/<width>/whatsapp-<name>.png); nothing
    sideways, nothing cut off, axe clean."""
    problems = {}
    for width, (w, h) in tour.WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        (SCREENS / width).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / width / f"whatsapp-{name}.png"), full_page=True)
        found = page.evaluate(LAYOUT_PROBLEMS, width == "laptop")
        page.add_script_tag(url=AXE)
        found += page.evaluate(AXE_RUN)
        if found:
            problems[width] = found
    page.set_viewport_size({"width": 1366, "height": 768})
    assert not problems, problems


def log_in(page, site, user):
    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


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

    log_in(page, site, owner)

    # Build a Meta template step by step: the phone preview follows the fields, limits show
    # beside the field as it is typed, Back keeps what was typed.
    page.get_by_role("link", name="Templates", exact=True).click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Meta template: reviewed by Meta").check()
    page.get_by_label("Utility: about an order").check()
    page.get_by_label("Name", exact=True).fill("order_update")
    check_layout(page, "builder-kind")
    page.get_by_role("button", name="Next: content").click()
    expect(page.get_by_role("heading", name="Step 2 of 3: Content")).to_be_focused()
    page.get_by_label("Header", exact=True).select_option("text")
    page.get_by_label("Header text").fill("x" * 61)
    expect(page.locator("#err-header_text")).to_contain_text("may not be greater than 60 characters")
    expect(page.locator("#count-header_text")).to_have_text("61 / 60 characters")
    check_layout(page, "builder-limit")
    page.get_by_label("Header text").fill("Order {{order}}")
    expect(page.locator("#err-header_text")).to_have_text("")
    page.get_by_label("Body", exact=True).fill("Hi {{name}}, your order ships today.")
    page.get_by_label("Buttons").select_option("reply")
    page.get_by_label("Quick reply 1").fill("Track")
    page.get_by_label("Quick reply 2").fill("Help")
    preview = page.locator("#template-preview")
    expect(preview.locator(".wa-phone")).to_contain_text("Hi {{name}}, your order ships today.")
    expect(preview).to_contain_text("Within every WhatsApp limit")
    page.get_by_role("button", name="Next: samples and review").click()
    page.get_by_label("Sample for {{order}}").fill("1042")
    page.get_by_label("Sample for {{name}}").fill("Asha")
    expect(preview.locator(".wa-phone")).to_contain_text("Order 1042")
    expect(preview.locator(".wa-phone")).to_contain_text("Hi Asha, your order ships today.")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Quick reply 1")).to_have_value("Track")
    page.get_by_role("button", name="Next: samples and review").click()
    expect(page.get_by_label("Sample for {{name}}")).to_have_value("Asha")
    check_layout(page, "builder-review")
    page.get_by_role("button", name="Submit for Meta's review").click()
    status = page.locator("#template-status")
    expect(status).to_contain_text("Pending")
    expect(status).to_contain_text("Approved", timeout=15_000)  # Meta's (the simulator's) review webhook
    check_layout(page, "builder-approved")

    # Send it to the segment: the summary is the send's own quote.
    page.get_by_role("link", name="Send WhatsApp").click()
    page.get_by_label("Type").select_option("template")
    page.get_by_label("Template", exact=True).select_option(label="order_update (utility, 1 variable)")
    page.get_by_label("Header: {{order}}").fill("x" * 61)
    expect(page.locator("#err-header_param")).to_contain_text("The header value may not be greater than 60 characters.")
    page.get_by_label("Header: {{order}}").fill("1042")
    page.get_by_label("Body: {{name}}").fill("Asha")
    page.get_by_label("VIP chat (2 contacts)").check()
    summary = page.locator("#compose-preview")
    expect(summary).to_contain_text("2 of 2 to send")
    expect(summary).to_contain_text("0.6000")
    expect(page.locator("#compose-button")).to_have_text("Send to 2 recipients")
    page.get_by_role("button", name="Send to 2 recipients").click()
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


def test_the_composer_names_an_over_limit_field_as_it_is_typed(page, site):
    account, owner = make_account(name="Chat Co", credits_amount="50")
    AccountProduct.objects.create(account=account, product=Product.objects.get(code="WAP"))
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    details = {
        "number": BUSINESS,
        "display_name": "Chat Co",
        "api_base_url": "http://127.0.0.1:9",
        "app_secret": SECRET,
    }
    number = numbers.onboard(account=account, data=details)
    window.refresh(number, CUSTOMERS[0], timezone.now())
    log_in(page, site, owner)
    page.goto(f"{site}/whatsapp/send/")
    page.get_by_label("Recipients").fill(CUSTOMERS[0])
    page.get_by_label("Type").select_option("interactive")
    page.get_by_label("Body", exact=True).fill("Which slot suits you?")
    page.get_by_label("Reply buttons").fill("Morning, Afternoon, Evening, Night")
    expect(page.locator("#err-buttons")).to_contain_text("At most 3 reply buttons.")
    expect(page.locator("#count-buttons")).to_have_text("4 / 3 buttons")
    button = page.locator("#compose-button")
    expect(button).to_have_text("Fix 1 problem to send")
    expect(page.locator("#compose-preview")).to_contain_text("Reply buttons: At most 3 reply buttons.")
    check_layout(page, "composer-limit")
    page.get_by_label("Reply buttons").fill("Morning, Afternoon, Evening")
    expect(page.locator("#err-buttons")).to_have_text("")
    expect(button).to_have_text("Send to 1 recipient")
    page.get_by_label("Type").select_option("text")
    page.get_by_label("Text", exact=True).fill("y" * 4097)
    expect(page.locator("#err-text")).to_contain_text("The text may not be greater than 4096 characters.")
    expect(button).to_have_text("Fix 1 problem to send")
    check_layout(page, "composer-text-limit")


def test_merge_fields_per_recipient_in_the_composer_and_a_template_reply(page, site, simulator):
    """Merge fields from contacts: the summary shows each of the first recipients' own message
    (a number that is no contact gets empty values, and a template value left empty is refused
    for that recipient alone), the send delivers them, and an inbox reply with a template takes
    a field per value, merged from the conversation's contact."""
    account, owner = make_account(name="Chat Co", credits_amount="50")
    AccountProduct.objects.create(account=account, product=Product.objects.get(code="WAP"))
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    for sub, price in (("WUC", "0.3"), ("WSC", "0.1")):
        save_price(data={"service": "WAP", "iso": "IN", "sale_price": price, "sub_service": sub})
    details = {"number": BUSINESS, "display_name": "Chat Co", "api_base_url": simulator.url, "app_secret": SECRET}
    number = numbers.onboard(account=account, data=details)
    stranger = "919876543299"
    for i, (customer, first, plan) in enumerate(zip(CUSTOMERS, ("Asha", "Ravi"), ("Gold", "Silver"), strict=True)):
        contact = create_contact(
            account=account,
            data={"identity": f"c{i}", "phone": customer, "first_name": first, "attributes": {"plan": plan},
                  "tags": ["vip"]},
        )  # fmt: skip
        add_identifier(contact=contact, data={"type": "whatsapp", "value": customer})
    for customer in (*CUSTOMERS, stranger):
        window.refresh(number, customer, timezone.now())
    count_segment(create_segment(account=account, data={"name": "VIP chat", "positive_tags": ["vip"]}))
    template = message_templates.create(account=account, data=ORDER_TEMPLATE, submit_to_provider=False)
    WhatsappTemplate.objects.filter(pk=template.pk).update(status=TemplateStatus.APPROVED)

    log_in(page, site, owner)
    page.goto(f"{site}/whatsapp/send/")
    page.get_by_label("Text", exact=True).fill("Hi {{first_name}}, your {{attributes.plan}} plan renews on Monday.")
    page.get_by_label("Recipients").fill(stranger)
    page.get_by_label("VIP chat (2 contacts)").check()
    summary = page.locator("#compose-preview")
    samples = summary.locator(".samples li")
    expect(samples).to_have_count(3)
    expect(samples.nth(0)).to_contain_text("no contact: merge fields empty")
    expect(samples.nth(0)).to_contain_text("Hi , your plan renews on Monday.")
    expect(summary.locator(".samples")).to_contain_text("Hi Asha, your Gold plan renews on Monday.")
    expect(summary.locator(".samples")).to_contain_text("Hi Ravi, your Silver plan renews on Monday.")
    expect(summary).to_contain_text("3 of 3 to send")
    expect(page.locator("#compose-button")).to_have_text("Send to 3 recipients")
    check_layout(page, "composer-merge")

    page.get_by_label("Type").select_option("template")
    page.get_by_label("Template", exact=True).select_option(label="order_update (utility, 1 variable)")
    page.get_by_label("Header: {{order}}").fill("1042")
    page.get_by_label("Body: {{name}}").fill("{{first_name}}")
    expect(summary.locator(".samples")).to_contain_text("Order 1042 Hi Asha, your order ships today.")
    expect(samples.nth(0)).to_contain_text("The value of {{name}} is empty.")
    expect(summary).to_contain_text("2 of 3 to send")
    expect(summary).to_contain_text("Empty once the merge fields are filled in for this recipient")
    expect(summary).to_contain_text("2 messages · 0.0000 credits")  # utility inside an open window: free
    button = page.locator("#compose-button")
    expect(button).to_have_text("Send: 2 of 3 would be accepted")
    check_layout(page, "composer-merge-template")
    button.click()
    expect(page.locator(".flash")).to_contain_text("2 of 3 WhatsApp messages accepted; refused: Empty once")
    table = page.locator("#message-table")
    expect(table).to_contain_text("order-update: Asha")
    expect(table).to_contain_text("order-update: Ravi")

    # Ravi writes; the reply takes the template's values one field each, merged from his contact.
    simulator.control("inbound", {"phone_number_id": number.phone_number_id, "from": CUSTOMERS[1], "text": "Status?"})
    page.get_by_role("link", name="Inbox", exact=True).click()
    expect(page.locator("#conversation-list")).to_contain_text("Status?", timeout=10_000)
    page.get_by_role("link", name="Open").first.click()
    page.get_by_label("Reply with").select_option("template")
    page.get_by_label("Template", exact=True).select_option(label="order_update")
    page.get_by_label("Header: {{order}}").fill("1043")
    # Another text than the send's: the same message moments ago would be refused as repeated.
    page.get_by_label("Body: {{name}}").fill("{{first_name}} ({{attributes.plan}})")
    check_layout(page, "reply-template")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".wa-thread")).to_contain_text("order-update: Ravi (Silver)")
    expect(page.locator("#reply-values")).to_be_empty()
