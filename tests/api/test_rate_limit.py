"""Per-key rate limiting: 429 with Retry-After once the minute's budget is spent."""

from rest_framework.test import APIClient

from tests.factories import make_key


def test_the_limit_answers_429_with_retry_after(api_client, account):
    account.api_rate_limit = 3
    account.save()
    for remaining in (2, 1, 0):
        res = api_client.get("/api/v2/finance/balance")
        assert res.status_code == 200
        assert res["X-RateLimit-Limit"] == "3" and res["X-RateLimit-Remaining"] == str(remaining)
    res = api_client.get("/api/v2/finance/balance")
    assert res.status_code == 429
    assert res.json() == {"status": "failed", "code": 429, "message": "Too Many Attempts."}
    assert 1 <= int(res["Retry-After"]) <= 61


def test_each_key_has_its_own_budget(api_client, account):
    account.api_rate_limit = 1
    account.save()
    assert api_client.get("/api/v2/auth/me").status_code == 200
    assert api_client.get("/api/v2/auth/me").status_code == 429
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(account)[1]}")
    assert other.get("/api/v2/auth/me").status_code == 200


def test_the_default_limit_is_a_thousand_per_minute(api_client):
    assert api_client.get("/api/v2/auth/me")["X-RateLimit-Limit"] == "1000"
