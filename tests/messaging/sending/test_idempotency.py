"""Idempotency keys follow Stripe's rule on every send endpoint that takes one: the same key with
the same request replays the first answer; with another request it is a 409, nothing sent."""

import json
from decimal import Decimal

import pytest
from django.test import RequestFactory
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.test import APIClient

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.pipeline.models import Batch, Message
from portal.api.idempotency import request_fingerprint

SEND = "/api/v2/sms/send"
OTP = "Your OTP is 4821. Do not share it."
CONFLICT = (
    "was already used for a different request. Keys for idempotent requests can only be reused with the same "
    "parameters: send the same request to get its first answer, or a new key for a new request."
)


def classic(**over):
    return {"sender": "ACMEIN", "service": "T", "message": OTP, "to": "919876543210", **over}


@pytest.fixture
def post(api_client, django_capture_on_commit_callbacks):
    def run(path, body, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(path, body, format="json", **extra)

    return run


def assert_nothing_more_was_sent(account, batches=1, debits=1):
    assert Batch.objects.filter(account=account).count() == batches
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count() == debits


def test_a_reused_reference_with_new_recipients_is_a_409_not_a_silent_replay(account, sending_setup, post):
    first = post(SEND, classic(custom="order-1"))
    assert first.status_code == 200
    res = post(SEND, classic(custom="order-1", to="919876543211,919876543212"))
    assert res.status_code == 409
    assert res.json() == {
        "status": "ERROR",  # the classic send's error status (docs/api.md, "Published clients")
        "code": 409,
        "message": f"The reference (custom / foreign_id) 'order-1' {CONFLICT}",
    }
    assert_nothing_more_was_sent(account)
    assert not Message.objects.filter(account=account, mobile="919876543211").exists()


def test_a_reused_header_key_with_another_body_is_a_409(account, sending_setup, post):
    assert post(SEND, classic(), HTTP_IDEMPOTENCY_KEY="k-1").status_code == 200
    res = post(SEND, classic(message="Your OTP is 9999. Do not share it."), HTTP_IDEMPOTENCY_KEY="k-1")
    assert res.status_code == 409 and res.json()["message"] == f"The Idempotency-Key 'k-1' {CONFLICT}"
    assert_nothing_more_was_sent(account)


def test_the_same_request_replays_the_first_answer_and_charges_once(account, sending_setup, post):
    first = post(SEND, classic(custom="order-2"))
    again = post(SEND, classic(custom="order-2"))
    assert again.status_code == 200 and again.json() == first.json()
    assert_nothing_more_was_sent(account)
    assert credits.balance(account) == Decimal("99.75")


def test_the_same_request_spelt_differently_is_still_the_same(
    account, api_key_and_secret, sending_setup, django_capture_on_commit_callbacks
):
    secret = api_key_and_secret[1]
    body = classic(custom="order-3")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    with django_capture_on_commit_callbacks(execute=True):
        first = APIClient().post(SEND, body, format="json", HTTP_AUTHORIZATION=f"Bearer {secret}")
        # Same parameters: keys in another order, other whitespace, the key in the query string.
        again = APIClient().post(f"{SEND}?access_token={secret}", reordered, content_type="application/json")
    assert again.status_code == 200 and again.json() == first.json()
    assert_nothing_more_was_sent(account)


def test_a_form_encoded_retry_of_a_json_request_is_the_same_request(account, sending_setup, post, api_client):
    first = post(SEND, classic(custom="order-4"))
    again = api_client.post(SEND, classic(custom="order-4"))  # multipart form, same values
    assert again.status_code == 200 and again.json() == first.json()
    assert_nothing_more_was_sent(account)


def test_send_json_checks_its_key(account, sending_setup, post):
    body = {
        "root": {"sender": "ACMEIN", "service": "T", "message": OTP, "custom": "batch-9"},
        "nodes": [{"to": "919876543210"}],
    }
    assert post("/api/v2/sms/send/json", body).status_code == 200
    body["nodes"].append({"to": "919876543211"})
    res = post("/api/v2/sms/send/json", body)
    assert res.status_code == 409 and CONFLICT in res.json()["message"]
    assert_nothing_more_was_sent(account)


def test_template_send_checks_its_foreign_id(account, sending_setup, post):
    body = {
        "alias": "otp",
        "data": {"var1": "4821"},
        "recipient": {"to": ["919876543210"]},
        "meta": {"foreign_id": "t-1"},
    }
    first = post("/api/v2/sms/send/template", body)
    assert first.status_code == 200
    assert post("/api/v2/sms/send/template", body).json() == first.json()
    body["data"]["var1"] = "1111"
    res = post("/api/v2/sms/send/template", body)
    assert res.status_code == 409 and res.json()["message"].startswith("The reference (custom / foreign_id) 't-1'")
    assert_nothing_more_was_sent(account)


def test_channel_send_checks_its_key(account, sending_setup, post):
    body = {
        "channels": [{"name": "sms", "from": "ACMEIN", "meta": {"service": "T", "foreign_id": "c-1"}}],
        "recipient": {"to": ["919876543210"]},
        "message": {"type": "text", "payload": {"text": OTP}},
    }
    assert post("/api/v2/sms/message/send", body).status_code == 200
    body["recipient"]["to"].append("919876543211")
    res = post("/api/v2/sms/message/send", body)
    assert res.status_code == 409 and res.json()["code"] == 409
    assert_nothing_more_was_sent(account)


def engage(**over):
    return {
        "type": "transactional",
        "from": "ACMEIN",
        "transactionID": "tx-9",
        "to": "919876543210",
        "msg": OTP,
        "tiny": "0",
        "dlr": {"mask": 1},
        **over,
    }


def test_engage_push_answers_a_reused_transaction_id_in_its_own_shape(account, sending_setup, post):
    first = post("/v1/messaging/sms", engage())
    assert first.status_code == 200
    assert post("/v1/messaging/sms", engage()).json() == first.json()
    res = post("/v1/messaging/sms", engage(to="919876543211"))
    assert res.status_code == 409
    assert res.json() == {
        "status": 0,
        "message": "Validation Error.",
        "data": [{"msg": f"The transactionID 'tx-9' {CONFLICT}", "param": "transactionID", "location": "body"}],
    }
    assert_nothing_more_was_sent(account)


def test_engage_notify_checks_its_transaction_id(account, sending_setup, post):
    assert post("/notify", engage(to=["919876543210"])).status_code == 200
    assert post("/notify", engage(to=["919876543210", "919876543211"])).status_code == 409
    assert_nothing_more_was_sent(account)


def test_a_batch_from_before_request_hashes_still_replays(account, sending_setup, post):
    first = post(SEND, classic(custom="old-1"))
    Batch.objects.filter(account=account).update(request_hash="")
    assert post(SEND, classic(custom="old-1", to="919876543299")).json() == first.json()
    assert_nothing_more_was_sent(account)


# The fingerprint


def fingerprint(method, path, **kwargs):
    django_request = getattr(RequestFactory(), method)(path, **kwargs)
    return request_fingerprint(Request(django_request, parsers=[JSONParser(), FormParser(), MultiPartParser()]))


def test_the_fingerprint_ignores_credentials_key_order_and_a_trailing_slash():
    a = fingerprint("post", "/api/v2/sms/send", data='{"to": "1", "message": "x"}', content_type="application/json")
    b = fingerprint(
        "post",
        "/api/v2/sms/send/?access_token=pk_x",
        data='{"message":"x","to":"1","access_token":"pk_y"}',
        content_type="application/json",
    )
    assert a == b


def test_the_fingerprint_changes_with_any_parameter_or_the_path():
    base = fingerprint("post", "/api/v2/sms/send", data='{"to": "1"}', content_type="application/json")
    assert base != fingerprint("post", "/api/v2/sms/send", data='{"to": "2"}', content_type="application/json")
    assert base != fingerprint("post", "/api/v2/sms/send/json", data='{"to": "1"}', content_type="application/json")
    assert base != fingerprint("post", "/api/v2/sms/send?to=2", data='{"x": "1"}', content_type="application/json")
