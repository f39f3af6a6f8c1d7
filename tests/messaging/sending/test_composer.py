"""The Send SMS composer: its summary is the send's own quote (typed numbers, a file and segments
together), templates with their variables, merge fields, the explanation of a refused text, the
flash after a send, short links, and follow-ups of an earlier send."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import LedgerEntry
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from messaging.channels.sms import sending
from messaging.channels.sms.sending import Outgoing
from messaging.links.models import Link
from messaging.pipeline.models import Batch, Message
from messaging.review import services as review
from messaging.senders import services as registry

OTP = "Your OTP is 4821. Do not share it."
PREVIEW, SEND = "/sms/send/preview/", "/sms/send/"


@pytest.fixture
def vips(account):
    for i, first in enumerate(["Asha", "Ravi", "Meera"]):
        contact_services.create_contact(
            account=account,
            data={"identity": f"c{i}", "phone": f"+9198765000{i:02d}", "first_name": first, "tags": ["vip"]},
        )
    return segment_services.create_segment(account=account, data={"name": "VIPs", "positive_tags": ["vip"]})


def numbers_file():
    # 919876500001 is also a segment member and 919876543210 is typed: each is sent once.
    return SimpleUploadedFile("numbers.csv", b"number\n919876543210\n919876500001\n919876543299\n12\n")


def charge_of(batch):
    return -sum(e.amount for e in LedgerEntry.objects.filter(reference=str(batch.uuid)))


def test_the_quote_is_what_the_send_charges_for_typed_numbers_a_file_and_a_segment(
    user_client, account, sending_setup, vips
):
    fields = {"service": "T", "sender": "ACMEIN", "recipients": "919876543210, 447400123456, 99", "message": OTP}
    preview = user_client.post(PREVIEW, {**fields, "segments": [vips.pk], "file": numbers_file()})
    summary, audience = preview.context["summary"], preview.context["audience"]
    # The file repeats a typed number (left out) and brings a segment member first (counted as the file's).
    assert (audience.typed, audience.from_files, audience.from_segments) == (3, 3, 2)
    assert summary.total == 8 and summary.accepted == 5
    assert {s: n for s, _, n in summary.refused} == {"INV-NUMBER": 2, "NOTALLOWED": 1}
    assert summary.cost == Decimal("1.25")
    html = preview.content.decode()
    assert "Send: 5 of 8 would be accepted" in html and "Balance after" in html and "98.75" in html

    res = user_client.post(SEND, {**fields, "segments": [vips.pk], "file": numbers_file(), "type": "A"})
    batch = Batch.objects.get(account=account)
    assert res.status_code == 302
    assert charge_of(batch) == summary.cost and batch.accepted == summary.accepted and batch.total == summary.total


def test_refused_numbers_are_counted_by_reason_and_the_button_says_so(user_client, sending_setup):
    res = user_client.post(PREVIEW, {"service": "T", "recipients": "12, 447400123456", "message": OTP})
    refused = {status: count for status, _, count in res.context["summary"].refused}
    assert refused == {"INV-NUMBER": 1, "NOTALLOWED": 1}
    html = res.content.decode()
    assert "Send: 0 of 2 would be accepted" in html and "Invalid numbers" in html
    assert "To countries you can&#x27;t send to" in html


def test_a_send_nothing_accepted_flashes_a_warning_with_the_reasons(user_client, account, sending_setup):
    res = user_client.post(
        SEND,
        {"service": "T", "sender": "ACMEIN", "recipients": "12, 447400123456", "message": OTP, "type": "A"},
        follow=True,
    )
    html = res.content.decode()
    assert "flash-warning" in html and "Nothing was sent: 0 of 2 SMS messages accepted" in html
    assert "(Invalid numbers: 1; To countries you can&#x27;t send to: 1)." in html and "flash-success" not in html


def test_a_partly_refused_send_warns_and_a_clean_one_succeeds(user_client, sending_setup):
    res = user_client.post(
        SEND,
        {"service": "T", "sender": "ACMEIN", "recipients": "919876543210, 12", "message": OTP, "type": "A"},
        follow=True,
    )
    assert b"1 of 2 SMS messages accepted; refused: Invalid numbers: 1." in res.content
    res = user_client.post(
        SEND,
        {"service": "T", "sender": "ACMEIN", "recipients": "919876543211", "message": OTP, "type": "A"},
        follow=True,
    )
    assert b"flash-success" in res.content and b"1 of 1 SMS message accepted." in res.content


def test_picking_a_template_shows_its_variables_and_builds_the_message(user_client, account, sending_setup):
    template = sending_setup["template"]
    fragment = user_client.get("/sms/send/template-fields/", {"template": str(template.uuid)})
    html = fragment.content.decode()
    assert 'name="var_var1"' in html and "At most 30 characters" in html
    fields = {"service": "T", "sender": "ACMEIN", "recipients": "919876543210", "template": str(template.uuid)}
    too_long = user_client.post(PREVIEW, {**fields, "var_var1": "9" * 31})
    assert "Variable var1: 31 characters: at most 30." in too_long.content.decode()
    assert too_long.context["summary"].accepted == 0
    ok = user_client.post(PREVIEW, {**fields, "var_var1": "4821"})
    assert ok.context["summary"].accepted == 1 and ok.context["explanation"] is None
    res = user_client.post(SEND, {**fields, "var_var1": "4821", "type": "A"})
    assert res.status_code == 302
    message = Message.objects.get(account=account)
    assert message.text == "Your OTP is 4821. Do not share it." and message.template_id == template.template_id


def test_another_accounts_template_is_not_offered(user_client, other_account, sending_setup):
    review.approve(
        item=registry.create_sender(
            account=other_account,
            data={
                "name": "OTHERS",
                "service": "T",
                "country_code": "IN",
                "entity_id": "1101234567891",
                "entity_name": "Others",
            },
        )
    )
    theirs = registry.create_template(
        account=other_account,
        data={"sender": "OTHERS", "name": "Theirs", "type": "T", "template_id": "1107161521283358399",
              "body": "Their code is {#var#} now."},
    )  # fmt: skip
    review.approve(item=theirs)
    assert b"var_" not in user_client.get("/sms/send/template-fields/", {"template": str(theirs.uuid)}).content
    assert b"Theirs" not in user_client.get(SEND).content


def test_a_text_no_template_matches_shows_the_closest_and_where_it_differs(user_client, sending_setup):
    res = user_client.post(
        PREVIEW, {"service": "T", "recipients": "919876543210", "message": "Your OTP is 4821. Please keep it secret."}
    )
    explanation = res.context["explanation"]
    assert explanation.template_name == "OTP" and explanation.template_id == "1107161521283358301"
    assert explanation.text_after == "Please keep it secret." and explanation.body_mark == "Do not share it."
    html = res.content.decode()
    assert "<mark>Please keep it secret.</mark>" in html and "<mark>Do not share it.</mark>" in html
    assert "Send: 0 of 1 would be accepted" in html


def test_merge_fields_fill_each_recipients_contact_details(user_client, account, sending_setup, vips):
    template = sending_setup["template"]
    fields = {"service": "T", "sender": "ACMEIN", "segments": [vips.pk], "template": str(template.uuid)}
    res = user_client.post(PREVIEW, {**fields, "var_var1": "{{first_name}}"})
    samples = [o.message for o in res.context["samples"]]
    assert samples == ["Your OTP is Asha. Do not share it.", "Your OTP is Ravi. Do not share it.",
                       "Your OTP is Meera. Do not share it."]  # fmt: skip
    assert res.context["summary"].accepted == 3
    user_client.post(SEND, {**fields, "var_var1": "{{first_name}}", "type": "A"})
    texts = dict(Message.objects.filter(account=account).values_list("mobile", "text"))
    assert texts["919876500002"] == "Your OTP is Meera. Do not share it."


def test_links_are_shortened_with_click_tracking(user_client, account, sending_setup):
    text = "Track your order: https://example.com/track/42"
    fields = {"service": "G", "sender": "AcmeUK", "recipients": "447400123456", "message": text, "shorten": "on"}
    preview = user_client.post(PREVIEW, fields)
    assert preview.context["summary"].accepted == 1 and "1 link will be shortened" in preview.content.decode()
    user_client.post(SEND, {**fields, "type": "A"})
    link = Link.objects.get(account=account)
    message = Message.objects.get(account=account)
    assert link.long_url == "https://example.com/track/42" and link.batch_id == message.batch_id
    assert link.code in message.text and "example.com" not in message.text
    assert charge_of(message.batch) == preview.context["summary"].cost


def _failed_batch(account):
    batch = sending.submit(
        account=account,
        product_code="T",
        outgoing=[Outgoing(to=n, sender="ACMEIN", message=OTP) for n in ("919876543210", "919876543211", "12")],
        name="Launch",
    ).batch
    Message.objects.filter(batch=batch, mobile="919876543210").update(state="final", progress=9, status="UNDELIV")
    Message.objects.filter(batch=batch, mobile="919876543211").update(state="final", progress=3, status="DELIVRD")
    # Sent yesterday: outside the repetition window, which would refuse the same text again.
    Message.objects.filter(batch=batch).update(submitted_at=timezone.now() - timedelta(days=1))
    return batch


def test_retry_failed_from_a_campaign_quotes_then_sends_only_the_failed(user_client, account, sending_setup):
    batch = _failed_batch(account)
    page = user_client.get(f"/sms/batches/{batch.uuid}/").content.decode()
    assert "Retry failed (1)" in page and "Send to the ones who didn&#x27;t get it (2)" in page
    composer = user_client.get(SEND, {"retry": str(batch.uuid), "who": "failed"}).content.decode()
    assert OTP in composer and "Retry failed: Launch" in composer and f'value="{batch.uuid}"' in composer
    fields = {
        "service": "T",
        "sender": "ACMEIN",
        "message": OTP,
        "follow_up": str(batch.uuid),
        "follow_up_who": "failed",
    }
    preview = user_client.post(PREVIEW, fields)
    assert preview.context["audience"].from_batch == 1 and preview.context["summary"].cost == Decimal("0.25")
    user_client.post(SEND, {**fields, "type": "A", "name": "Retry"})
    retry = Batch.objects.get(account=account, name="Retry")
    assert list(retry.messages.values_list("mobile", flat=True)) == ["919876543210"]
    assert charge_of(retry) == Decimal("0.25")
    everyone = user_client.post(PREVIEW, {**fields, "follow_up_who": "undelivered"})
    assert everyone.context["audience"].from_batch == 2  # the failed one and the invalid number


def test_another_accounts_batch_cannot_be_followed_up(user_client, other_account, account, sending_setup):
    from tests.messaging.reports.pipeline_steps import senders_and_prices

    senders_and_prices(other_account)
    theirs = _failed_batch(other_account)
    page = user_client.get(SEND, {"retry": str(theirs.uuid), "who": "failed"}).content.decode()
    assert "Retry failed:" not in page
    res = user_client.post(
        PREVIEW, {"service": "T", "message": OTP, "follow_up": str(theirs.uuid), "follow_up_who": "failed"}
    )
    assert res.context["audience"].from_batch == 0 and not res.context["audience"].numbers
