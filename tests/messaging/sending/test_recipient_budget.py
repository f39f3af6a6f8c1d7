"""The recipients-per-minute budget of an account (messaging/pipeline/budget.py), beside the
per-key request limit: a send that would go over it is refused whole with a 429 in the v2 envelope
and Retry-After, on every send path; the next minute's window takes it again."""

import itertools
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from messaging.pipeline import budget
from messaging.pipeline.models import Batch, RefusedNumbers
from portal.core.errors import TooManyRequests, ValidationFailed

SEND = "/api/v2/sms/send"
_fresh_ids = itertools.count(10_000_000, 100)  # account ids no other test uses: counters of their own
OTP = "Your OTP is 4821. Do not share it."


@pytest.fixture
def small_budget(settings, monkeypatch):
    settings.SEND_RECIPIENTS_PER_MINUTE = 10
    # One instant for the whole test: a minute ending between two requests would open a new window.
    monkeypatch.setattr(budget, "time", SimpleNamespace(time=lambda: 6000.0))


def send(api_client, count, **extra):
    numbers = ",".join(f"x{i}" for i in range(count))  # refused before pricing: cost nothing but work
    return api_client.post(SEND, {"sender": "ACMEIN", "service": "T", "message": OTP, "to": numbers, **extra})


def test_a_send_over_the_budget_is_a_429_with_retry_after(api_client, account, sending_setup, small_budget):
    assert send(api_client, 6).status_code == 200
    res = send(api_client, 5)
    assert res.status_code == 429
    body = res.json()
    # The classic send's clients read `status == "ERROR"` (docs/api.md, "Published clients").
    assert (body["status"], body["code"]) == ("ERROR", 429)
    assert body["message"].startswith("The account can send to 10 recipients per minute and this minute's are spent")
    assert res["Retry-After"] == "61"  # 6000 s is a minute's first second
    assert Batch.objects.filter(account=account).count() == 1  # nothing of the refused request written
    assert send(api_client, 4).status_code == 200  # what is left of the minute is still usable


def test_the_budget_is_the_accounts_across_its_keys(api_client, account, sending_setup, small_budget):
    from rest_framework.test import APIClient

    from tests.factories import make_key

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(account)[1]}")
    assert send(api_client, 8).status_code == 200
    assert send(other, 3).status_code == 429


def test_a_new_minute_has_a_new_budget(account, small_budget, monkeypatch):
    now = [600.0]
    budget.reserve(account, 10, clock=lambda: now[0])
    with pytest.raises(TooManyRequests) as exc:
        budget.reserve(account, 1, clock=lambda: now[0] + 15)
    assert exc.value.retry_after == 46
    now[0] = 660.0
    budget.reserve(account, 10, clock=lambda: now[0])


def test_a_request_larger_than_any_minutes_budget_is_a_422(api_client, account, sending_setup, small_budget):
    res = send(api_client, 11)
    assert res.status_code == 422
    assert res.json()["errors"] == {"to": ["At most 10 recipients can be sent to per minute; this request has 11."]}


def test_refused_requests_still_count(api_client, account, sending_setup, small_budget):
    # Read, parsed and scrubbed all the same: a 422 after the count keeps it.
    res = api_client.post(SEND, {"sender": "ACMEIN", "service": "T", "message": "", "to": "x1,x2,x3,x4,x5,x6"})
    assert res.status_code == 422
    assert send(api_client, 5).status_code == 429


def test_a_replay_of_an_idempotent_send_costs_no_budget(api_client, account, sending_setup, small_budget):
    first = send(api_client, 8, custom="order-1")
    again = send(api_client, 8, custom="order-1")
    assert again.status_code == 200 and again.json()["group_id"] == first.json()["group_id"]


def test_engage_answers_in_its_own_shape(api_client, account, sending_setup, small_budget):
    body = {"type": "transactional", "from": "ACMEIN", "msg": OTP, "tiny": "0", "dlr": {"mask": "1"}}
    ok = api_client.post("/notify", {**body, "to": [f"x{i}" for i in range(10)], "transactionID": "t1"}, format="json")
    assert ok.status_code == 200
    res = api_client.post("/v1/messaging/sms", {**body, "to": "919876543210", "transactionID": "t2"}, format="json")
    assert res.status_code == 429 and res["Retry-After"]
    assert res.json()["status"] == 0 and res.json()["data"][0]["param"] == "to"


def test_the_send_page_shows_the_refusal(user_client, account, sending_setup, small_budget):
    budget.reserve(account, 10)
    res = user_client.post(
        reverse("sending:send"),
        {"recipients": "919876543210", "service": "T", "sender": "ACMEIN", "message": OTP, "type": "A"},
    )
    assert "recipients per minute" in res.content.decode()
    assert not Batch.objects.filter(account=account).exists()


def test_zero_turns_the_budget_off(api_client, account, sending_setup, settings):
    settings.SEND_RECIPIENTS_PER_MINUTE = 0
    for _ in range(3):
        assert send(api_client, 50).status_code == 200
    assert RefusedNumbers.objects.filter(account=account).count() == 3


def test_reserve_refuses_a_request_no_minute_could_take(account, small_budget):
    with pytest.raises(ValidationFailed):
        budget.reserve(account, 11)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=12),
    requests=st.lists(st.tuples(st.sampled_from([1, 2]), st.integers(min_value=0, max_value=14)), max_size=8),
)
def test_reserving_for_a_group_answers_as_reserving_one_after_another(limit, requests):
    # Two runs over fresh accounts (their own counters): one round trip for all, and one by one.
    with override_settings(SEND_RECIPIENTS_PER_MINUTE=limit):
        base = next(_fresh_ids)
        together = budget.reserve_many(
            [(SimpleNamespace(pk=base + which), count) for which, count in requests], clock=lambda: 6000.0
        )
        one_by_one = []
        for which, count in requests:
            try:
                budget.reserve(SimpleNamespace(pk=base + 10 + which), count, clock=lambda: 6000.0)
                one_by_one.append(None)
            except (TooManyRequests, ValidationFailed) as exc:
                one_by_one.append(exc)
    assert [type(a) for a in together] == [type(a) for a in one_by_one]
    assert [getattr(a, "message", None) for a in together] == [getattr(a, "message", None) for a in one_by_one]
    for which in (1, 2):
        key = f"recipients:{{}}:{6000 // 60}"
        assert cache.get(key.format(base + which)) == cache.get(key.format(base + 10 + which))
