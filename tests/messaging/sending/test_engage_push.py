"""Engage push SMS: its own path, auth headers, error shape and answer."""

import pytest
from rest_framework.test import APIClient

from messaging.pipeline.models import Message

URL = "/v1/messaging/sms"
OTP = "Your OTP is 4821. Do not share it."


def body(**over):
    return {
        "type": "transactional",
        "from": "ACMEIN",
        "transactionID": "tx-1",
        "to": "919876543210",
        "msg": OTP,
        "tiny": "0",
        "dlr": {"mask": 1, "url": "https://client.example/dlr"},
        **over,
    }


def test_a_push_is_accepted_with_its_id(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(URL, body(), format="json")
    assert res.status_code == 200 and set(res.json()) == {"id"}
    message = Message.objects.get(account=account)
    assert message.custom == "tx-1" and message.dlr_url == "https://client.example/dlr" and message.dlr_mask == 1
    assert message.status == "DELIVRD"


def test_the_x_authorization_header_also_carries_the_key(
    api_key_and_secret, sending_setup, django_capture_on_commit_callbacks
):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post(URL, body(), format="json", HTTP_X_AUTHORIZATION=f"Basic {api_key_and_secret[1]}")
    assert res.status_code == 200


def test_a_retried_transaction_id_is_not_sent_twice(
    api_client, account, sending_setup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(URL, body(), format="json").json()
        again = api_client.post(URL, body(), format="json").json()
    assert first == again and Message.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(
    ("over", "param"),
    [
        ({"from": "x" * 51}, "from"),
        ({"type": "other"}, "type"),
        ({"msg": ""}, "msg"),
        ({"tiny": "2"}, "tiny"),
        ({"dlr": {"mask": 5}}, "dlr.mask"),
        ({"dlr": {"mask": 1, "url": "ftp://x"}}, "dlr.url"),
        ({"transactionID": ""}, "transactionID"),
        ({"from": "OTHERS"}, "from"),
        ({"to": "12345"}, "to"),
    ],
)
def test_errors_use_the_engage_shape(api_client, sending_setup, over, param):
    res = api_client.post(URL, body(**over), format="json")
    assert res.status_code == 422
    out = res.json()
    assert out["status"] == 0 and out["message"] == "Validation Error."
    assert param in [d["param"] for d in out["data"]] and all(d["location"] == "body" for d in out["data"])


def test_a_missing_key_is_401(db):
    assert APIClient().post(URL, body(), format="json").status_code == 401


def test_notify_sends_to_many_and_reports_pages(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    payload = body(to=["919876543210", "919876543211", "12345"], transactionID="bulk-1")
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post("/notify", payload, format="json")
    out = res.json()
    assert res.status_code == 200 and out["accepted"] == 2 and out["rejected"] == 1 and out["id"]
    report = api_client.get("/notify", {"page_number": 0, "page_size": 2}).json()
    assert report["total"] == 3 and report["page_size"] == 2 and len(report["data"]) == 2
    assert {row["status"] for row in report["data"]} <= {"DELIVRD", "INV-NUMBER"}
    assert api_client.get("/notify", {"page_number": 1, "page_size": 2}).json()["data"][0]["transactionID"] == "bulk-1"
    assert api_client.get("/notify", {"page_number": "x"}).status_code == 422


def test_notify_validates_like_push(api_client, sending_setup):
    res = api_client.post("/notify", body(to=[], tiny="2"), format="json")
    out = res.json()
    assert res.status_code == 422 and {"to", "tiny"} <= {d["param"] for d in out["data"]}


def test_responses_carry_server_timing(api_client, sending_setup):
    res = api_client.post(URL, body(), format="json")
    name, _, duration = res["Server-Timing"].partition(";dur=")
    assert name == "app" and float(duration) > 0


def test_a_service_change_reaches_the_cached_send_rules_at_once(api_client, account, sending_setup):
    from messaging.services.products import set_account_products

    assert api_client.post(URL, body(transactionID="a"), format="json").status_code == 200
    set_account_products(account, ["P"])  # the transactional service is switched off
    res = api_client.post(URL, body(transactionID="b"), format="json")
    assert res.status_code == 422 and res.json()["data"][0]["param"] == "type"


def test_a_push_skips_the_page_only_middleware_and_keeps_every_security_header(
    client, api_key_and_secret, sending_setup, django_capture_on_commit_callbacks, settings
):
    # The browser's session and CSRF cookies mean nothing to the push path: a request carrying
    # them is answered as one without, with no cookie set, and the key still decides.
    client.cookies["sessionid"] = "not-a-session"
    client.cookies["csrftoken"] = "x" * 32
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post(
            URL, body(), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key_and_secret[1]}"
        )
    assert res.status_code == 200
    assert res["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert res["X-Frame-Options"] == "DENY" and res["X-Content-Type-Options"] == "nosniff"
    assert res["Referrer-Policy"] and res["Server-Timing"].startswith("app;dur=")
    assert "Cookie" not in res.get("Vary", "") and not res.cookies
    assert not hasattr(res.wsgi_request, "session")  # no session was looked up
    refused = client.post(URL, body(), content_type="application/json")  # the cookies are no credential
    assert refused.status_code == 401
