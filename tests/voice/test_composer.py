"""The voice composer: its summary is the bulk call's own quote (typed numbers, a file and segments
together), what it reserves is what the send debits, the button and the flash say what happens,
a test call goes to the member's confirmed number only, and a bulk call's page offers "retry
failed" and "call the ones who didn't get it", quoted first. Another account's segment or bulk
call gives nothing."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import LedgerEntry
from accounts.services import credits
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from messaging import consent
from messaging.channels.sms.models import TestNumber
from portal.core.errors import ValidationFailed
from voice.models import Call, CallGroup, NumberKind, Sound, VoiceNumber
from voice.services import estimate, flows, quotes, storage

from .conftest import BRIDGE, MENU

PAGE, PREVIEW = "/voice/", "/voice/preview"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def vips(account):
    # 919800000003 is also in the file; 919800000005 has unsubscribed from voice calls.
    for i in (3, 4, 5):
        contact_services.create_contact(
            account=account, data={"identity": f"c{i}", "phone": f"+9198000000{i:02d}", "tags": ["vip"]}
        )
    return segment_services.create_segment(account=account, data={"name": "VIPs", "positive_tags": ["vip"]})


@pytest.fixture
def sound(account):
    return Sound.objects.create(
        account=account, name="Reminder", path=storage.save("sounds", "r.wav", b"RIFF"), duration_ms=42_000
    )


def numbers_file():
    # 919800000002 is typed already: only 919800000003 is the file's.
    return SimpleUploadedFile("numbers.csv", b"number\n919800000002\n919800000003\n")


def bulk(**fields):
    """The composer's bulk form as posted (the page's `bulk-` prefix)."""
    data = {"mode": "bulk", **{f"bulk-{k}": v for k, v in fields.items()}}
    return data


def reserved_for(group):
    return -sum(e.amount for e in LedgerEntry.objects.filter(reference=str(group.uuid)))


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


MENU_FIELDS = {"bridge": BRIDGE, "variables": "Name=Asha\notp=77", "name": "Renewals"}


def test_the_quote_is_what_the_send_reserves_for_typed_numbers_a_file_and_a_segment(
    user_client, account, bridge, menu_flow, vips
):
    consent.opt_out(account=account, channel="voice", receiver="919800000005")
    fields = {**MENU_FIELDS, "flow": str(menu_flow.pk), "to": "919800000001, 919800000002\n919800000001 12"}
    preview = user_client.post(PREVIEW, {**bulk(**fields), "bulk-segments": [vips.pk], "bulk-file": numbers_file()})
    summary, audience, plan = preview.context["summary"], preview.context["audience"], preview.context["plan"]
    assert (audience.typed, audience.from_files, audience.from_segments) == (4, 1, 2)
    assert summary.total == 7 and summary.accepted == 4
    assert {s: n for s, _, n in summary.refused} == {"DUPLICATE": 1, "INVALID": 1, "UNSUBSCRIBED": 1}
    # The menu bridges to an agent: 600 s on both legs at 0.30 a minute, 30 s pulses.
    assert summary.cost == Decimal("24.0000") and plan.legs == 2
    # Expected: 6 + 6 words spoken (0.4 s each), the gather's 5 s timeout, "Goodbye": 10 s, one pulse.
    assert preview.context["estimate"].seconds == 10 and preview.context["estimate"].cost == Decimal("0.6")
    html = preview.content.decode()
    assert "Call: 4 of 7 would be accepted" in html and "976.00" in html and "Unsubscribed from voice calls" in html
    assert "Estimated cost" in html and "0.6000" in html and "not charged now" in html

    res = user_client.post(PAGE, {**bulk(**fields), "bulk-segments": [vips.pk], "bulk-file": numbers_file()})
    group = CallGroup.objects.get(account=account)
    assert res.status_code == 302 and res["Location"] == f"/voice/calls/bulk/{group.uuid}/"
    assert reserved_for(group) == summary.cost == group.reserved
    assert sorted(Call.objects.filter(group=group).values_list("to", flat=True)) == [
        "919800000001",
        "919800000002",
        "919800000003",
        "919800000004",
    ]
    assert group.refused == {"INVALID": ["12"], "UNSUBSCRIBED": ["919800000005"]}  # duplicates were called once
    assert flashes(res) == [
        "4 of 7 calls accepted; refused: Duplicates: 1; Invalid numbers: 1; Unsubscribed from voice calls: 1."
    ]


def test_the_button_says_what_will_happen_and_a_clean_send_succeeds(user_client, account, bridge, sound):
    fields = {"bridge": BRIDGE, "audio": str(sound.uuid), "to": "919800000001 919800000002"}
    preview = user_client.post(PREVIEW, bulk(**fields), **HTMX).content.decode()
    assert 'id="call-button" hx-swap-oob="true">Call 2 recipients</button>' in preview
    # A sound of 42 s: two 30 s pulses at 0.30 a minute, per call; one leg.
    assert "0.6000" in preview and "on one leg" in preview
    res = user_client.post(PAGE, bulk(**fields))
    assert res.status_code == 302 and flashes(res) == ["2 of 2 calls accepted."]
    assert reserved_for(CallGroup.objects.get()) == Decimal("6.0000")


def test_nothing_accepted_warns_with_the_reasons_and_writes_nothing(user_client, account, bridge, sound):
    fields = {"bridge": BRIDGE, "audio": str(sound.uuid), "to": "12, 34"}
    preview = user_client.post(PREVIEW, bulk(**fields)).content.decode()
    assert "Call: 0 of 2 would be accepted" in preview and 'class="warning"' in preview
    before = credits.balance(account)
    res = user_client.post(PAGE, bulk(**fields))
    assert res.status_code == 200
    assert flashes(res) == ["Nothing was sent: 0 of 2 calls accepted (Invalid numbers: 2)."]
    assert not CallGroup.objects.exists() and credits.balance(account) == before


def test_bad_input_is_a_clear_problem_never_a_500(user_client, account, bridge, menu_flow, sound):
    cases = [
        ({"bridge": "918000000000", "audio": str(sound.uuid), "to": "919800000001"}, "The selected bridge is invalid."),
        ({"bridge": BRIDGE, "flow": str(menu_flow.pk), "to": "919800000001"}, "variables.Name"),
        ({"bridge": BRIDGE, "to": "919800000001"}, "An audio is required"),
        ({"bridge": BRIDGE, "audio": str(sound.uuid)}, "Add numbers to see the cost."),
    ]
    for fields, problem in cases:
        preview = user_client.post(PREVIEW, bulk(**fields))
        assert preview.status_code == 200 and problem in preview.context["summary"].problem, fields
        assert 'hx-swap-oob="true">Call</button>' in preview.content.decode()
    broken = SimpleUploadedFile("numbers.csv", b"\x00\x01\x02")
    preview = user_client.post(PREVIEW, {**bulk(bridge=BRIDGE, audio=str(sound.uuid)), "bulk-file": broken})
    assert preview.status_code == 200 and "not a text file" in preview.context["audience"].problem
    res = user_client.post(PAGE, bulk(bridge=BRIDGE, flow=str(menu_flow.pk), to="919800000001"))
    assert res.status_code == 422 and "required by flow" in res.content.decode() and not Call.objects.exists()


def test_a_send_the_balance_cannot_cover_places_nothing(user_client, account, bridge, sound):
    credits.debit(account=account, amount=credits.balance(account) - Decimal("1"), reason="spend")
    fields = {"bridge": BRIDGE, "audio": str(sound.uuid), "to": "919800000001"}
    assert "Not enough credits" in user_client.post(PREVIEW, bulk(**fields)).content.decode()
    res = user_client.post(PAGE, bulk(**fields))
    assert res.status_code == 422 and "nsufficient" in res.content.decode() and not Call.objects.exists()


def test_a_test_call_goes_to_the_members_confirmed_number_only(user_client, account, owner, bridge, sound):
    fields = {"bridge": BRIDGE, "audio": str(sound.uuid), "to": "919800000001 919800000002", "name": "Launch"}
    res = user_client.post(PAGE, {**bulk(**fields), "test": "1"})
    assert res.status_code == 422 and "Confirm your test number first" in res.content.decode()
    assert not Call.objects.exists()
    assert "Set up a test number" in user_client.get(PAGE).content.decode()

    TestNumber.objects.create(account=account, user=owner, number="919800000077", verified_at=timezone.now())
    assert "Test call to 919800000077" in user_client.get(PAGE).content.decode()
    res = user_client.post(PAGE, {**bulk(**fields), "test": "1"})
    assert res.status_code == 200 and flashes(res) == ["1 of 1 test call accepted."]
    call = Call.objects.get()
    assert call.to == "919800000077" and call.group.name == "Test: Launch"
    assert reserved_for(call.group) == call.reserved


def _finished_group(user_client, account, sound):
    """A bulk call sent from the composer: one answered, one busy, one still queued, one refused."""
    fields = {"bridge": BRIDGE, "audio": str(sound.uuid), "to": "919800000001 919800000002 919800000003 12"}
    user_client.post(PAGE, {**bulk(**fields), "bulk-name": "Renewals"})
    group = CallGroup.objects.get(account=account, name="Renewals")
    Call.objects.filter(group=group, to="919800000001").update(status="ANSWER")
    Call.objects.filter(group=group, to="919800000002").update(status="BUSY")
    return group


def test_retry_failed_from_a_bulk_call_quotes_then_calls_only_the_failed(user_client, account, bridge, sound):
    group = _finished_group(user_client, account, sound)
    page = user_client.get(f"/voice/calls/bulk/{group.uuid}/").content.decode()
    assert "Retry failed (1)" in page and "Call the ones who didn&#x27;t get it (2)" in page
    assert "Invalid numbers" in page and "still queued or in progress" in page
    composer = user_client.get(PAGE, {"retry": str(group.uuid), "who": "failed"}).content.decode()
    assert "Retry failed: Renewals" in composer and f'value="{group.uuid}"' in composer
    assert f'value="{sound.uuid}" selected' in composer  # the earlier call's sound

    fields = {"bridge": BRIDGE, "audio": str(sound.uuid), "follow_up": str(group.uuid), "follow_up_who": "failed"}
    preview = user_client.post(PREVIEW, bulk(**fields))
    assert preview.context["audience"].from_batch == 1 and preview.context["summary"].cost == Decimal("3.0000")
    user_client.post(PAGE, bulk(**fields, name="Retry"))
    retry = CallGroup.objects.get(account=account, name="Retry")
    assert list(retry.calls.values_list("to", flat=True)) == ["919800000002"]
    assert reserved_for(retry) == Decimal("3.0000")
    everyone = user_client.post(PREVIEW, bulk(**{**fields, "follow_up_who": "undelivered"}))
    assert everyone.context["audience"].from_batch == 2  # the busy one and the invalid number


def test_another_accounts_segment_and_bulk_call_give_nothing(user_client, account, other_account, bridge, sound):
    contact_services.create_contact(
        account=other_account, data={"identity": "t1", "phone": "+919800000009", "tags": ["x"]}
    )
    theirs = segment_services.create_segment(account=other_account, data={"name": "Theirs", "positive_tags": ["x"]})
    VoiceNumber.objects.create(account=other_account, number="918068280002", kind=NumberKind.BRIDGE)
    their_group = CallGroup.objects.create(account=other_account, name="Theirs", refused={"INVALID": ["12"]})
    Call.objects.create(
        account=other_account, group=their_group, bridge="918068280002", to="919800000009", status="BUSY"
    )

    fields = {"bridge": BRIDGE, "audio": str(sound.uuid)}
    preview = user_client.post(PREVIEW, {**bulk(**fields), "bulk-segments": [theirs.pk]})
    assert not preview.context["audience"].numbers and preview.context["audience"].problem
    res = user_client.post(PAGE, {**bulk(**fields), "bulk-segments": [theirs.pk]})
    assert res.status_code == 422 and not Call.objects.filter(account=account).exists()

    assert user_client.get(f"/voice/calls/bulk/{their_group.uuid}/").status_code == 404
    assert user_client.get("/voice/calls/bulk/not-a-uuid/").status_code == 404
    page = user_client.get(PAGE, {"retry": str(their_group.uuid), "who": "failed"}).content.decode()
    assert "Retry failed:" not in page and "919800000009" not in page
    follow = user_client.post(PREVIEW, bulk(**fields, follow_up=str(their_group.uuid), follow_up_who="undelivered"))
    assert follow.context["audience"].from_batch == 0 and not follow.context["audience"].numbers


def test_the_bulk_call_page_pages_its_calls_and_answers_htmx(
    user_client, account, bridge, sound, django_assert_max_num_queries
):
    group = _finished_group(user_client, account, sound)
    with django_assert_max_num_queries(15):
        page = user_client.get(f"/voice/calls/bulk/{group.uuid}/")
    assert page.status_code == 200 and "Given back" in page.content.decode()
    fragment = user_client.get(f"/voice/calls/bulk/{group.uuid}/", **HTMX).content.decode()
    assert fragment.startswith('<div id="call-table"') and "919800000002" in fragment
    # The call log links each call of a bulk call to its page.
    assert f"/voice/calls/bulk/{group.uuid}/" in user_client.get("/voice/calls/").content.decode()


def test_the_api_keeps_its_strict_bulk_answer(account, bridge, sound):
    payload = [{"to": "919800000001"}, {"to": "12"}]
    with pytest.raises(ValidationFailed) as exc:
        quotes.plan(account=account, bridge=BRIDGE, payload=payload, audio=str(sound.uuid))
    assert list(exc.value.errors) == ["payload.1.to"]
    lenient = quotes.plan(account=account, bridge=BRIDGE, payload=payload, audio=str(sound.uuid), per_recipient=True)
    assert lenient.accepted == 1 and lenient.refused_numbers == {"INVALID": ["12"]}


def test_the_expected_duration_follows_the_flow_a_sound_or_a_url(account):
    flow = flows.create_flow(account=account, name="Menu", definition=MENU)
    assert estimate.expect(flow=flow, variables={"Name": "Asha", "otp": "77"}).seconds == 10
    assert estimate.expect(audio="s", audio_seconds=42.0).seconds == 42
    assert estimate.expect(audio="https://example.com/a.wav").seconds == 5  # unknown length: the simulator's 5 s
    assert estimate.expect(audio="s", audio_seconds=900.0, max_seconds=600).seconds == 600


def test_a_segments_call_link_opens_the_composer_with_it(user_client, account, bridge, vips):
    assert f"/voice/?segment={vips.pk}" in user_client.get(f"/contacts/segments/{vips.pk}/").content.decode()
    page = user_client.get(PAGE, {"segment": str(vips.pk)})
    assert page.context["forms"]["bulk"].initial["segments"] == [str(vips.pk)]
    assert f'name="bulk-segments" value="{vips.pk}"' in page.content.decode()
    assert "checked" in page.content.decode().split(f'name="bulk-segments" value="{vips.pk}"')[1].split(">")[0]
