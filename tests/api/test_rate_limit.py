"""Per-key rate limiting: 429 with Retry-After once the minute's budget is spent."""

import os
from unittest import mock

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import apikeys
from portal.core import counters
from tests.api.helpers import bearer
from tests.factories import make_key

BALANCE = "/api/v2/finance/balance"
REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture
def limited(account):
    account.api_rate_limit = 3
    account.save()
    return account


def test_the_fourth_request_gets_429_with_retry_after(api_client, limited):
    for remaining in (2, 1, 0):
        res = api_client.get(BALANCE)
        assert res.status_code == 200
        assert res["X-RateLimit-Limit"] == "3" and res["X-RateLimit-Remaining"] == str(remaining)
    res = api_client.get(BALANCE)
    assert res.status_code == 429
    assert res.json() == {"status": "failed", "code": 429, "message": "Too Many Attempts."}
    assert res["Retry-After"].isdigit() and 1 <= int(res["Retry-After"]) <= 61
    assert res["X-RateLimit-Limit"] == "3" and res["X-RateLimit-Remaining"] == "0"
    assert api_client.get("/api/v2/auth/me").status_code == 429  # the budget covers every endpoint


def test_each_key_has_its_own_budget(api_client, limited):
    for _ in range(3):
        api_client.get(BALANCE)
    assert api_client.get(BALANCE).status_code == 429
    other = bearer(make_key(limited)[1])
    res = other.get(BALANCE)
    assert res.status_code == 200 and res["X-RateLimit-Remaining"] == "2"


def test_a_bearer_token_spends_its_keys_budget(api_client, limited):
    token = api_client.get("/api/v3/auth/token/generate").json()["access_token"]
    assert bearer(token).get(BALANCE)["X-RateLimit-Remaining"] == "1"
    api_client.get(BALANCE)
    assert bearer(token).get(BALANCE).status_code == 429


def test_the_budget_renews_in_the_next_minute(api_client, limited):
    start = 1_800_000_000.0  # on a minute boundary
    with mock.patch("portal.api.throttling.time.time", return_value=start + 59):
        for _ in range(3):
            api_client.get(BALANCE)
        res = api_client.get(BALANCE)
        assert res.status_code == 429 and res["Retry-After"] == "2"
    with mock.patch("portal.api.throttling.time.time", return_value=start + 60):
        res = api_client.get(BALANCE)
        assert res.status_code == 200 and res["X-RateLimit-Remaining"] == "2"


def test_retry_after_counts_down_to_the_next_minute(api_client, limited):
    start = 1_800_000_000.0
    with mock.patch("portal.api.throttling.time.time", return_value=start + 0.5):
        for _ in range(4):
            res = api_client.get(BALANCE)
    assert res.status_code == 429 and res["Retry-After"] == "60"


def test_refused_credentials_do_not_spend_the_budget(api_client, limited):
    for _ in range(5):
        assert APIClient().get(BALANCE, HTTP_AUTHORIZATION="Bearer pk_wrong").status_code == 401
    assert api_client.get(BALANCE)["X-RateLimit-Remaining"] == "2"


def test_the_default_limit_is_a_thousand_per_minute(api_client):
    res = api_client.get("/api/v2/auth/me")
    assert res["X-RateLimit-Limit"] == "1000" and res["X-RateLimit-Remaining"] == "999"


def test_the_platform_default_comes_from_settings(api_client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 7
    assert api_client.get("/api/v2/auth/me")["X-RateLimit-Limit"] == "7"


@pytest.mark.skipif(not REDIS_URL.startswith("redis"), reason="set REDIS_URL to run the rate limit on Redis")
def test_with_redis_url_the_counters_live_in_redis(api_client, api_key_and_secret, limited):
    # Production shares one atomic counter across web processes: the suite must exercise that path.
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)
    start = 1_800_000_000.0
    with mock.patch("portal.api.throttling.time.time", return_value=start + 1):
        for _ in range(4):
            res = api_client.get(BALANCE)
    assert res.status_code == 429
    assert cache.get(f"ratelimit:key:{api_key_and_secret[0].pk}:{int(start // 60)}") == 4


def test_a_kept_key_is_counted_once_per_request_with_its_rules_version(api_client, limited):
    # From the second request on, the key is kept by the process: authentication counts the
    # request in the round trip that reads the rules version, and the throttle counts nothing more.
    with mock.patch("portal.core.counters.read_and_incr", wraps=counters.read_and_incr) as together:
        remaining = [api_client.get(BALANCE)["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    assert together.call_count == 2  # not the first request: its key was read from the table
    assert api_client.get(BALANCE).status_code == 429


def test_a_request_refused_for_its_scope_or_address_does_not_spend_the_budget(api_client, limited):
    _, secret = make_key(limited, scopes=["read"])
    reader = bearer(secret)
    assert reader.get(BALANCE).status_code == 200  # 2 left on this key
    for _ in range(4):  # the key is kept now: each of these was counted with its version, then given back
        assert reader.post("/api/v2/sms/send", {}).status_code == 403
    assert reader.get(BALANCE)["X-RateLimit-Remaining"] == "1"
    apikeys.forget_cached_keys()
    key = ApiKey.objects.get(key_hash=apikeys.hash_key(secret))
    key.ip_whitelist = ["192.0.2.1/32"]
    key.save()
    for _ in range(3):
        assert reader.get(BALANCE).status_code == 403  # not from the whitelisted address
    key.ip_whitelist = []
    key.save()
    assert reader.get(BALANCE)["X-RateLimit-Remaining"] == "0"
