"""Short-lived bearer tokens: /api/v3/auth/token/generate and /refresh."""

import time

import jwt
from rest_framework.test import APIClient

from accounts.services import apikeys, tokens
from tests.factories import make_key

GENERATE = "/api/v3/auth/token/generate"
REFRESH = "/api/v3/auth/token/refresh"


def bearer(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_generate_returns_the_token_without_an_envelope(api_client):
    res = api_client.get(GENERATE)
    assert res.status_code == 200
    body = res.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"].endswith(GENERATE)
    assert claims["exp"] - claims["iat"] == 3600
    assert {"nbf", "jti", "sub", "prv"} <= set(claims)


def test_the_token_authenticates_v2_calls(api_client, account):
    token = api_client.get(GENERATE).json()["access_token"]
    res = bearer(token).get("/api/v2/auth/me")
    assert res.status_code == 200
    assert res.json()["data"]["username"] == account.username


def test_refresh_with_a_token_returns_a_new_token(api_client):
    token = api_client.get(GENERATE).json()["access_token"]
    res = bearer(token).get(REFRESH)
    assert res.status_code == 200
    fresh = res.json()["access_token"]
    assert fresh != token
    assert jwt.decode(fresh, options={"verify_signature": False})["iss"].endswith(REFRESH)
    assert bearer(fresh).get("/api/v2/finance/balance").status_code == 200


def test_refresh_with_the_api_key_is_refused(api_client):
    assert api_client.get(REFRESH).status_code == 401


def test_generate_with_a_token_is_refused(api_client):
    token = api_client.get(GENERATE).json()["access_token"]
    assert bearer(token).get(GENERATE).status_code == 401


def _craft(key, **overrides):
    now = int(time.time())
    claims = {"iat": now, "nbf": now, "exp": now + 60, "sub": str(key.uuid), "prv": tokens.key_fingerprint(key)}
    claims.update(overrides)
    return jwt.encode(claims, tokens._signing_key(), algorithm="HS256")


def test_an_expired_token_is_refused(api_key_and_secret):
    key, _ = api_key_and_secret
    assert bearer(_craft(key)).get("/api/v2/auth/me").status_code == 200
    expired = _craft(key, iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    assert bearer(expired).get("/api/v2/auth/me").status_code == 401
    assert bearer(expired).get(REFRESH).status_code == 401


def test_a_tampered_token_is_refused(api_client):
    token = api_client.get(GENERATE).json()["access_token"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    assert bearer(forged).get("/api/v2/auth/me").status_code == 401
    other_secret = jwt.encode({"sub": "x", "exp": int(time.time()) + 60, "prv": "y"}, "guess" * 10, algorithm="HS256")
    assert bearer(other_secret).get("/api/v2/auth/me").status_code == 401


def test_tokens_of_a_revoked_key_stop_working(api_key_and_secret):
    key, secret = api_key_and_secret
    token = bearer(secret).get(GENERATE).json()["access_token"]
    apikeys.revoke_api_key(api_key=key)
    assert bearer(token).get("/api/v2/auth/me").status_code == 401
    assert bearer(token).get(REFRESH).status_code == 401


def test_tokens_respect_the_key_whitelist(account):
    _, secret = make_key(account, ip_whitelist="203.0.113.0/24")
    token = bearer(secret).get(GENERATE, REMOTE_ADDR="203.0.113.5").json()["access_token"]
    assert bearer(token).get("/api/v2/auth/me", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert bearer(token).get("/api/v2/auth/me", REMOTE_ADDR="198.51.100.1").status_code == 403
