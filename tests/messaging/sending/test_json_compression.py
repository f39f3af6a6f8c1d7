"""Large JSON answers go gzip-compressed to clients that accept gzip (portal/middleware.py); small
answers and pages never are."""

import gzip
import json

import pytest
from django.urls import reverse

SEND = "/api/v2/sms/send"


@pytest.fixture
def big_send(api_client, sending_setup):
    numbers = ",".join(f"x{i}" for i in range(2000))  # 2,000 items: about 400 KB of JSON
    return lambda **headers: api_client.post(
        SEND, {"sender": "ACMEIN", "service": "T", "message": "Hi", "to": numbers}, **headers
    )


def test_a_large_answer_is_compressed_for_a_client_that_accepts_gzip(big_send):
    res = big_send(HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert res["Content-Encoding"] == "gzip" and "Accept-Encoding" in res["Vary"]
    body = json.loads(gzip.decompress(res.content))
    assert len(body["data"]) == 2000 and body["message"] == "0 numbers accepted for delivery."
    assert int(res["Content-Length"]) == len(res.content) < 40_000


def test_a_client_that_does_not_ask_gets_plain_json(big_send):
    res = big_send()
    assert not res.has_header("Content-Encoding") and "Accept-Encoding" in res["Vary"]
    assert len(json.loads(res.content)["data"]) == 2000


def test_small_answers_and_pages_are_left_alone(api_client, user_client):
    res = api_client.get("/api/v2/auth/me", HTTP_ACCEPT_ENCODING="gzip")
    assert res.status_code == 200 and not res.has_header("Content-Encoding")
    page = user_client.get(reverse("dashboard"), HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200 and not page.has_header("Content-Encoding")
