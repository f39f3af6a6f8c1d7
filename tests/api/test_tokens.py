"""Short-lived bearer tokens: /api/v3/auth/token/generate and /refresh."""

import time
import uuid
from datetime import timedelta
from unittest import mock

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import apikeys, tokens
from tests.api.helpers import IP_REFUSED, assert_unauthenticated, bearer
from tests.factories import make_key

GENERATE = "/api/v3/auth/token/generate"
REFRESH = "/api/v3/auth/token/refresh"
ME = "/api/v2/auth/me"


def generate(client):
    res = client.get(GENERATE)
    assert res.status_code == 200, res.content
    return res.json()["access_token"]


def craft(key, secret=..., algorithm="HS256", **overrides):
    """A token signed like ours (or with another secret), with claims changed at will."""
    now = int(time.time())
    claims = {"iat": now, "nbf": now, "exp": now + 60, "sub": str(key.uuid), "prv": tokens.key_fingerprint(key)}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, tokens._signing_key() if secret is ... else secret, algorithm=algorithm)


def test_generate_returns_exactly_the_token_fields_without_an_envelope(api_client, api_key_and_secret):
    res = api_client.get(GENERATE)
    assert res.status_code == 200
    body = res.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    assert claims["iss"] == "http://testserver" + GENERATE
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert claims["sub"] == str(api_key_and_secret[0].uuid)
    assert {"jti", "prv"} <= set(claims)
    assert api_key_and_secret[1] not in res.content.decode()


def test_token_answers_are_never_cached(api_client):
    res = api_client.get(GENERATE)
    assert "no-store" in res["Cache-Control"] and res["Pragma"] == "no-cache"
    res = bearer(res.json()["access_token"]).get(REFRESH)
    assert "no-store" in res["Cache-Control"]


def test_each_generate_gives_a_distinct_token(api_client):
    first, second = generate(api_client), generate(api_client)
    assert first != second
    ids = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in (first, second)}
    assert len(ids) == 2


def test_the_lifetime_follows_the_setting(api_client, settings):
    settings.API_TOKEN_TTL_SECONDS = 600
    body = api_client.get(GENERATE).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert body["expires_in"] == 600 and claims["exp"] - claims["iat"] == 600


def test_the_token_authenticates_v2_calls(api_client, account):
    token = generate(api_client)
    res = bearer(token).get(ME)
    assert res.status_code == 200
    assert res.json()["data"]["username"] == account.username
    assert bearer(token).get("/api/v2/finance/balance").json()["message"] == "OK"
    assert APIClient().get(ME, {"access_token": token}).status_code == 200


def test_refresh_with_a_token_returns_a_new_working_token(api_client):
    token = generate(api_client)
    res = bearer(token).get(REFRESH)
    assert res.status_code == 200
    body = res.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    fresh = body["access_token"]
    assert fresh != token
    assert jwt.decode(fresh, options={"verify_signature": False})["iss"] == "http://testserver" + REFRESH
    assert bearer(fresh).get("/api/v2/finance/balance").status_code == 200
    assert bearer(fresh).get(REFRESH).status_code == 200  # a refreshed token refreshes too


def test_refresh_with_the_api_key_is_refused(api_client):
    assert_unauthenticated(api_client.get(REFRESH))


def test_generate_with_a_token_is_refused(api_client):
    assert_unauthenticated(bearer(generate(api_client)).get(GENERATE))


def test_a_token_issued_more_than_its_lifetime_ago_is_refused(api_key_and_secret):
    key, secret = api_key_and_secret
    two_hours_ago = time.time() - 7200
    with mock.patch("accounts.services.tokens.time.time", return_value=two_hours_ago):
        old = generate(bearer(secret))
    assert jwt.decode(old, options={"verify_signature": False})["exp"] < time.time()
    assert_unauthenticated(bearer(old).get(ME))
    assert_unauthenticated(bearer(old).get(REFRESH))


def test_a_token_expires_at_its_exp(api_key_and_secret):
    key, _ = api_key_and_secret
    assert bearer(craft(key)).get(ME).status_code == 200
    now = int(time.time())
    expired = craft(key, iat=now - 7200, nbf=now - 7200, exp=now - 1)
    assert_unauthenticated(bearer(expired).get(ME))
    assert_unauthenticated(bearer(expired).get(REFRESH))


def test_a_token_not_yet_valid_is_refused(api_key_and_secret):
    key, _ = api_key_and_secret
    assert_unauthenticated(bearer(craft(key, nbf=int(time.time()) + 600)).get(ME))


def test_a_tampered_token_is_refused(api_client, other_account):
    token = generate(api_client)
    header, payload, signature = token.split(".")
    assert_unauthenticated(bearer(f"{header}.{payload}.{signature[::-1]}").get(ME))
    # Swap in another account's key id while keeping the original signature.
    other_key, _ = make_key(other_account)
    claims = jwt.decode(token, options={"verify_signature": False}) | {"sub": str(other_key.uuid)}
    forged_payload = jwt.encode(claims, "x" * 32, algorithm="HS256").split(".")[1]
    assert_unauthenticated(bearer(f"{header}.{forged_payload}.{signature}").get(ME))


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "guess" * 10},  # signed with another key
        {"algorithm": "none", "secret": None},  # unsigned
        {"sub": "not-a-uuid"},
        {"sub": str(uuid.UUID(int=1))},  # no such key
        {"prv": "0" * 40},  # signed for an earlier key with the same id
        {"prv": None},
        {"exp": None},
    ],
)
def test_tokens_with_bad_claims_or_signatures_are_refused(api_key_and_secret, change):
    key, _ = api_key_and_secret
    assert_unauthenticated(bearer(craft(key, **change)).get(ME))


def test_tokens_of_a_revoked_key_stop_working(api_key_and_secret):
    key, secret = api_key_and_secret
    token = generate(bearer(secret))
    apikeys.revoke_api_key(api_key=key)
    assert_unauthenticated(bearer(token).get(ME))
    assert_unauthenticated(bearer(token).get(REFRESH))


def test_tokens_of_an_expired_key_stop_working(api_key_and_secret):
    key, secret = api_key_and_secret
    token = generate(bearer(secret))
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_unauthenticated(bearer(token).get(ME))


def test_tokens_of_a_disabled_account_stop_working(api_client, account):
    token = generate(api_client)
    account.is_active = False
    account.save()
    assert_unauthenticated(bearer(token).get(ME))


def test_a_revoked_key_cannot_generate(api_key_and_secret):
    key, secret = api_key_and_secret
    apikeys.revoke_api_key(api_key=key)
    assert_unauthenticated(bearer(secret).get(GENERATE))


def test_tokens_respect_the_key_whitelist(account):
    _, secret = make_key(account, ip_whitelist="203.0.113.0/24")
    refused = bearer(secret).get(GENERATE, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 403 and refused.json() == IP_REFUSED
    token = bearer(secret).get(GENERATE, REMOTE_ADDR="203.0.113.5").json()["access_token"]
    assert bearer(token).get(ME, REMOTE_ADDR="203.0.113.9").status_code == 200
    res = bearer(token).get(ME, REMOTE_ADDR="198.51.100.1")
    assert res.status_code == 403 and res.json() == IP_REFUSED
    assert bearer(token).get(REFRESH, REMOTE_ADDR="198.51.100.1").status_code == 403


def test_the_token_endpoints_only_answer_get(api_client):
    res = api_client.post(GENERATE)
    assert res.status_code == 405
    assert res.json() == {"status": "failed", "code": 405, "message": "Method Not Allowed."}
