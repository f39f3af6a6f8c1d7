"""The Send SMS composer in a browser: the summary beside it is the send's quote and the ledger
charges exactly that (typed numbers, a file and a segment together), an approved template picked
and filled in, a text no template matches explained, and "Retry failed" from a campaign. The
composer's states are screenshotted at 1366 and 390 px, checked for sideways scrolling and axe."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import LedgerEntry
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from messaging.channels.sms import sending
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline.models import Batch, Message
from tests.e2e import tour
from tests.e2e.test_every_page import AXE, AXE_RUN, LAYOUT_PROBLEMS, SCREENS
from tests.factories import PASSWORD, make_account
from tests.messaging.reports.pipeline_steps import senders_and_prices

pytestmark = pytest.mark.django_db(transaction=True)
OTP = "Your OTP is 4821. Do not share it."


@pytest.fixture
def customer(settings):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    account, owner = make_account(name="Composer Co", credits_amount="100")
    setup = senders_and_prices(account)
    for i, first in enumerate(["Asha", "Ravi"]):
        contact_services.create_contact(
            account=account,
            data={"identity": f"c{i}", "phone": f"+9198765000{i:02d}", "first_name": first, "tags": ["vip"]},
        )
    segment = segment_services.create_segment(account=account, data={"name": "VIPs", "positive_tags": ["vip"]})
    return {"account": account, "owner": owner, "segment": segment, **setup}


def log_in(page, site, owner):
    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def check_layout(page, name):
    """Screenshots at both widths; nothing sideways, nothing cut off, axe clean."""
    problems = {}
    for width, (w, h) in tour.WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        (SCREENS / width).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / width / f"composer-{name}.png"), full_page=True)
        found = page.evaluate(LAYOUT_PROBLEMS, width == "laptop")
        page.add_script_tag(url=AXE)
        found += page.evaluate(AXE_RUN)
        if found:
            problems[width] = found
    page.set_viewport_size({"width": 1366, "height": 768})
    assert not problems, problems


def test_the_quote_is_the_charge_for_typed_numbers_a_file_and_a_segment(page, site, customer, tmp_path):
    log_in(page, site, customer["owner"])
    page.goto(f"{site}/sms/send/")
    page.get_by_label("Service").select_option("T")
    page.get_by_label("Sender ID").select_option("ACMEIN")
    page.get_by_label("Recipients").fill("919876543210, 447400123456, 99")
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("number\n919876543210\n919876500001\n919876543299\n")
    page.get_by_label("…or a file of numbers").set_input_files(str(numbers))
    page.get_by_label("VIPs (2 contacts)").check()
    page.get_by_label("Message", exact=True).fill(OTP)
    summary = page.locator("#send-preview")
    # 3 typed; the file adds 2 (one is typed already); the segment adds the member the file lacks.
    expect(summary).to_contain_text("6: 3 typed · 2 from the file · 1 from segments")
    expect(summary).to_contain_text("4 of 6")
    expect(summary).to_contain_text("1 · Invalid numbers INV-NUMBER")
    expect(summary).to_contain_text("To countries you can't send to")
    button = page.locator("#send-button")
    expect(button).to_have_text("Send: 4 of 6 would be accepted")
    cost = Decimal(re.search(r"Cost\s*([\d.]+) credits", summary.inner_text()).group(1))
    assert cost == Decimal("1.0000")
    check_layout(page, "quote")
    button.click()
    expect(page.locator(".flash-warning")).to_contain_text("4 of 6 SMS messages accepted; refused:")
    batch = Batch.objects.get(account=customer["account"])
    charged = -sum(e.amount for e in LedgerEntry.objects.filter(reference=str(batch.uuid)))
    assert charged == cost and batch.accepted == 4 and batch.total == 6


def test_picking_a_template_and_filling_its_variables(page, site, customer):
    log_in(page, site, customer["owner"])
    page.goto(f"{site}/sms/send/")
    page.get_by_label("Service").select_option("T")
    page.get_by_label("Recipients").fill("919876543210")
    page.get_by_label("Message", exact=True).fill("Your OTP is 4821. Please keep it to yourself.")
    summary = page.locator("#send-preview")
    expect(summary).to_contain_text("Why the text is refused")
    expect(summary.locator("mark").first).to_have_text("Please keep it to yourself.")
    expect(page.locator("#send-button")).to_have_text("Send: 0 of 1 would be accepted")
    check_layout(page, "refused-text")

    page.get_by_label("Approved DLT template").select_option(label="OTP (ACMEIN)")
    variable = page.get_by_label("var1")
    variable.fill("12345678901234567890123456789012")
    expect(summary).to_contain_text("Variable var1: 32 characters: at most 30.")
    variable.fill("{{first_name}}")
    page.get_by_label("VIPs (2 contacts)").check()
    expect(summary).to_contain_text("Your OTP is Asha. Do not share it.")
    expect(summary).to_contain_text("Your OTP is Ravi. Do not share it.")
    expect(page.locator("#send-button")).to_have_text("Send to 3 recipients")
    check_layout(page, "template")
    page.locator("#send-button").click()
    expect(page.locator(".flash-success")).to_contain_text("3 of 3 SMS messages accepted.")
    texts = dict(Message.objects.filter(account=customer["account"]).values_list("mobile", "text"))
    assert texts == {
        "919876543210": "Your OTP is . Do not share it.",
        "919876500000": "Your OTP is Asha. Do not share it.",
        "919876500001": "Your OTP is Ravi. Do not share it.",
    }


def test_retry_failed_from_a_campaign(page, site, customer):
    from datetime import timedelta

    from django.utils import timezone

    account = customer["account"]
    batch = sending.submit(
        account=account,
        product_code="T",
        outgoing=[Outgoing(to=n, sender="ACMEIN", message=OTP) for n in ("919876543210", "919876543211")],
        name="Launch",
    ).batch
    Message.objects.filter(batch=batch, mobile="919876543210").update(state="final", progress=9, status="UNDELIV")
    Message.objects.filter(batch=batch, mobile="919876543211").update(state="final", progress=3, status="DELIVRD")
    Message.objects.filter(batch=batch).update(submitted_at=timezone.now() - timedelta(days=1))
    log_in(page, site, customer["owner"])
    page.goto(f"{site}/sms/batches/{batch.uuid}/")
    page.get_by_role("link", name="Retry failed (1)").click()
    summary = page.locator("#send-preview")
    expect(summary).to_contain_text("1 from the earlier send")
    expect(summary).to_contain_text("1 of 1")
    expect(page.get_by_label("Campaign name")).to_have_value("Retry failed: Launch")
    check_layout(page, "retry")
    page.locator("#send-button").click()
    expect(page.locator(".flash-success")).to_contain_text("1 of 1 SMS message accepted.")
    retry = Batch.objects.get(account=account, name="Retry failed: Launch")
    assert list(retry.messages.values_list("mobile", flat=True)) == ["919876543210"]
