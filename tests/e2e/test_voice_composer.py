"""The voice composer in a browser: the summary beside it is the bulk call's quote, updated as the
form changes, and the ledger reserves exactly what it says (typed numbers, a file and a segment
together); the button says what will happen, the flash what did, and the bulk call's page offers
"retry failed", which opens the composer quoted. Each state is screenshotted at 1366 and 390 px
(`test-results/screens/<width>/composer-voice-*.png`), checked for sideways scrolling and axe."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import LedgerEntry
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from tests.e2e.test_composer import check_layout, log_in
from tests.factories import make_account
from voice.models import Call, CallGroup, NumberKind, VoiceNumber, VoicePrice
from voice.services import flows

pytestmark = pytest.mark.django_db(transaction=True)
BRIDGE = "918068280001"
MENU = {
    "steps": [
        {"id": "hello", "type": "say", "text": "Hello {{Name}}, your renewal is due", "next": "menu"},
        {"id": "menu", "type": "gather", "prompt": "Press 1 to renew now", "next": "route"},
        {"id": "route", "type": "branch", "value": "{{menu.digits}}", "cases": {"1": "thanks"}, "default": "bye"},
        {"id": "thanks", "type": "say", "text": "Thank you", "next": "bye"},
        {"id": "bye", "type": "say", "text": "Goodbye"},
    ]
}


@pytest.fixture
def customer(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    # Transactional tests flush the data migrations' rows: the default Indian price again.
    VoicePrice.objects.get_or_create(
        account=None,
        iso="IN",
        service="VOC",
        sub_service="VOI",
        defaults={"country_name": "India", "calling_code": 91, "rate": "0.3", "pulse": 30},
    )
    account, owner = make_account(name="Voice Composer Co", credits_amount="100")
    VoiceNumber.objects.create(account=account, number=BRIDGE, kind=NumberKind.BRIDGE)
    flow = flows.create_flow(account=account, name="Renewal", definition=MENU)
    for i in (3, 4):
        contact_services.create_contact(
            account=account, data={"identity": f"c{i}", "phone": f"+9198000000{i:02d}", "tags": ["vip"]}
        )
    segment_services.create_segment(account=account, data={"name": "VIPs", "positive_tags": ["vip"]})
    return {"account": account, "owner": owner, "flow": flow}


def _reserved_figure(page):
    text = page.locator("#call-preview dt:has-text('Reserved now') + dd").inner_text()
    return Decimal(re.search(r"[\d.]+", text).group(0))


def test_the_quote_is_what_the_calls_reserve_and_retry_failed_is_quoted(page, site, customer, tmp_path):
    log_in(page, site, customer["owner"])
    page.goto(f"{site}/voice/")
    summary = page.locator("#call-preview")
    expect(summary).to_contain_text("Add numbers to see the cost")
    check_layout(page, "voice-empty")

    page.locator("#id_bulk-to").fill("919800000001, 919800000002, 12")
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("number\n919800000002\n919800000003\n")
    page.locator("#id_bulk-file").set_input_files(str(numbers))
    page.get_by_label("VIPs (2 contacts)").check()
    page.locator("#id_bulk-flow").select_option(str(customer["flow"].pk))
    expect(summary).to_contain_text("variables.Name")  # the flow needs a Name: said before any call
    page.locator("#id_bulk-variables").fill("Name=Asha")
    page.locator("#id_bulk-name").fill("Renewals")
    # 3 typed; the file adds 919800000003 (…0002 is typed); the segment adds …0004.
    expect(summary).to_contain_text("5: 3 typed · 1 from the file · 1 from segments")
    expect(summary).to_contain_text("4 of 5")
    expect(summary).to_contain_text("1 · Invalid numbers INVALID")
    expect(summary).to_contain_text("Estimated cost")
    button = page.locator("#call-button")
    expect(button).to_have_text("Call: 4 of 5 would be accepted")
    reserved = _reserved_figure(page)
    assert reserved == Decimal("12.0000")  # 600 s, one leg, 0.30 a minute: 3.00 a call
    check_layout(page, "voice-quoted")

    button.click()
    expect(page.get_by_text("4 of 5 calls accepted; refused: Invalid numbers: 1.")).to_be_visible()
    group = CallGroup.objects.get(account=customer["account"])
    assert -sum(e.amount for e in LedgerEntry.objects.filter(reference=str(group.uuid))) == reserved
    expect(page.get_by_role("heading", name="Renewals")).to_be_visible()

    # One call was busy: the page offers to call it again, and the composer quotes it first.
    Call.objects.filter(group=group, to="919800000002").update(status="BUSY")
    Call.objects.filter(group=group).exclude(to="919800000002").update(status="ANSWER")
    page.reload()
    check_layout(page, "voice-bulk-call")
    page.get_by_role("link", name="Retry failed (1)").click()
    expect(page.get_by_text("Retry failed: Renewals")).to_be_visible()
    expect(summary).to_contain_text("1: 1 from the earlier bulk call")
    expect(page.locator("#call-button")).to_have_text("Call 1 recipient")
    check_layout(page, "voice-retry")
    page.locator("#call-button").click()
    expect(page.get_by_text("1 of 1 call accepted.")).to_be_visible()
    retry = CallGroup.objects.exclude(pk=group.pk).get()
    assert list(retry.calls.values_list("to", flat=True)) == ["919800000002"]
