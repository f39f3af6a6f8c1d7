"""A customer builds an IVR flow, sees its graph, places a test call on the simulator and plays the
call's recording in the browser."""

import json

import pytest
from playwright.sync_api import expect

from accounts.services import credits
from tests.factories import PASSWORD, make_account
from voice.models import NumberKind, VoiceNumber, VoicePrice

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = {
    "steps": [
        {"id": "hello", "type": "say", "text": "Hello {{Name}}, press 1 for an agent", "next": "menu"},
        {"id": "menu", "type": "gather", "digits": 1, "next": "route"},
        {"id": "route", "type": "branch", "value": "{{menu.digits}}", "cases": {"1": "agent"}, "default": "bye"},
        {"id": "agent", "type": "bridge", "numbers": ["919800000101"], "record": True, "next": "bye"},
        {"id": "bye", "type": "hangup"},
    ]
}


def test_build_a_flow_place_a_test_call_and_play_its_recording(page, site, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    # Transactional tests flush the data migrations' rows: the default Indian price again.
    VoicePrice.objects.get_or_create(
        account=None,
        iso="IN",
        service="VOC",
        sub_service="VOI",
        defaults={"country_name": "India", "calling_code": 91, "rate": "0.3", "pulse": 30},
    )
    account, owner = make_account(name="Voice Co")
    credits.top_up(account=account, amount="500")
    VoiceNumber.objects.create(account=account, number="918068280001", kind=NumberKind.BRIDGE)

    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Voice", exact=True).click()
    page.get_by_role("link", name="Flows").click()
    page.get_by_role("link", name="New flow").click()

    page.get_by_label("Name").fill("Support line")
    bad = {"steps": [{"id": "a", "type": "say", "text": "x", "next": "a"}]}
    page.get_by_label("Steps (JSON)").fill(json.dumps(bad))
    page.get_by_role("button", name="Save flow").click()
    expect(page.get_by_text("loop without an exit")).to_be_visible()

    page.get_by_label("Steps (JSON)").fill(json.dumps(FLOW))
    page.get_by_role("button", name="Save flow").click()
    expect(page.get_by_text("Flow Support line saved")).to_be_visible()
    expect(page.locator("svg[aria-label='Flow graph'] rect")).to_have_count(5)

    page.get_by_label("Your number").fill("919800000001")  # the simulator presses its last digit: 1
    page.get_by_label("Flow variables").fill("Name=Asha")
    page.get_by_role("button", name="Place test call").click()
    placed = page.get_by_text("Test call placed")
    expect(placed).to_be_visible()
    page.locator("#test-call a").click()

    expect(page.get_by_text("ANSWER").first).to_be_visible()
    audio = page.locator("audio[data-testid='recording']")
    expect(audio).to_have_count(1)
    audio.evaluate("el => { el.muted = true; return el.play(); }")
    for _ in range(50):  # wait_for_function evaluates a string, which the page's CSP forbids
        if audio.evaluate("el => el.currentTime") > 0.2:
            break
        page.wait_for_timeout(100)
    assert audio.evaluate("el => el.currentTime") > 0.2, "the recording did not play"
    assert audio.evaluate("el => el.duration") > 1

    # The voice pages fit a phone's width (390 px) and a laptop's (1366 px).
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/voice/", "/voice/flows/", "/voice/calls/", "/voice/sounds/", page.url.split(site)[1]):
            page.goto(f"{site}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"
