"""A member's own test number: a code sent through the pipeline, confirmed on the page, then the
composer's "Send a test" goes to it alone."""

import re

import pytest

from accounts.models import LedgerEntry
from messaging.channels.sms import test_numbers
from messaging.channels.sms.models import TestNumber
from messaging.pipeline.models import Batch, Message
from portal.core.errors import ValidationFailed
from tests.factories import make_member

OTP = "Your OTP is 4821. Do not share it."


def code_sent(account):
    """The code in the last confirmation message (the test reads it as the person would)."""
    text = Message.objects.filter(account=account, batch__name="Test number confirmation").latest("id").text
    return re.search(r"\d{6}", text).group(0)


def test_the_code_goes_through_the_pipeline_in_an_approved_template(user_client, account, sending_setup):
    res = user_client.post(
        "/sms/test-number/", {"action": "send", "number": "+91 98765 43210", "service": "T", "sender": "ACMEIN"}
    )
    assert res.status_code == 302
    message = Message.objects.get(account=account)
    assert message.mobile == "919876543210" and message.template_id == "1107161521283358301"
    assert LedgerEntry.objects.filter(account=account, reference=str(message.batch.uuid)).exists()
    wrong = user_client.post("/sms/test-number/", {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 422 and b"That is not the code we sent." in wrong.content
    ok = user_client.post("/sms/test-number/", {"action": "confirm", "code": code_sent(account)}, follow=True)
    assert b"Number confirmed" in ok.content and b"Confirmed" in ok.content
    assert TestNumber.objects.get(account=account).verified_at is not None


def test_a_refused_code_send_keeps_nothing_and_says_why(user_client, account, sending_setup):
    res = user_client.post(
        "/sms/test-number/", {"action": "send", "number": "447400123456", "service": "T", "sender": "ACMEIN"}
    )
    assert res.status_code == 422 and b"The code could not be sent (NOTALLOWED)." in res.content
    assert not Batch.objects.filter(account=account).exists() and not TestNumber.objects.exists()


def test_codes_expire_after_five_wrong_tries(account, owner, sending_setup):
    test_numbers.send_code(account=account, user=owner, number="919876543210", product_code="T", sender="ACMEIN")
    for _ in range(test_numbers.MAX_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            test_numbers.confirm(account=account, user=owner, code="000000")
    with pytest.raises(ValidationFailed, match="Too many wrong codes"):
        test_numbers.confirm(account=account, user=owner, code=code_sent(account))


def test_the_composer_sends_a_test_to_the_confirmed_number_only(user_client, account, owner, sending_setup):
    page = user_client.get("/sms/send/").content.decode()
    assert "Set up a test number" in page
    test_numbers.send_code(account=account, user=owner, number="919876543219", product_code="T", sender="ACMEIN")
    test_numbers.confirm(account=account, user=owner, code=code_sent(account))
    assert "Send a test to 919876543219" in user_client.get("/sms/send/").content.decode()
    fields = {"service": "T", "sender": "ACMEIN", "recipients": "919876543210, 919876543211", "message": OTP}
    res = user_client.post("/sms/send/", {**fields, "type": "A", "name": "Launch", "test": "1"})
    assert res.status_code == 200 and b"1 of 1 test SMS message accepted." in res.content
    test = Batch.objects.get(account=account, name="Test: Launch")
    assert list(test.messages.values_list("mobile", flat=True)) == ["919876543219"]


def test_a_test_without_a_confirmed_number_sends_nothing(user_client, account, sending_setup):
    fields = {"service": "T", "sender": "ACMEIN", "recipients": "919876543210", "message": OTP, "type": "A"}
    res = user_client.post("/sms/send/", {**fields, "test": "1"})
    assert res.status_code == 422 and b"Confirm your test number first" in res.content
    assert not Batch.objects.filter(account=account).exists()


def test_another_members_number_is_theirs(client, account, owner, sending_setup):
    test_numbers.send_code(account=account, user=owner, number="919876543219", product_code="T", sender="ACMEIN")
    other = make_member(account)
    client.force_login(other)
    assert b"919876543219" not in client.get("/sms/test-number/").content
    assert test_numbers.verified_number(account, other) == ""
