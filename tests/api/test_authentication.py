"""Authentication of v2 requests: token forms, bad keys, IP whitelists, trusted proxies."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import apikeys
from tests.factories import make_key

ME = "/api/v2/auth/me"
UNAUTHENTICATED = {"status": "failed", "code": 401, "message": "Unauthenticated."}


def bearer(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_it_accepts_the_bearer_header(api_client, account):
    res = api_client.get(ME)
    assert res.status_code == 200
    assert res.json()["data"]["id"] == str(account.uuid)


def test_it_accepts_the_access_token_query_parameter(api_key_and_secret, account):
    res = APIClient().get(f"{ME}?access_token={api_key_and_secret[1]}")
    assert res.status_code == 200
    assert res.json()["data"]["username"] == account.username


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic abc", "Bearer pk_not-a-real-key", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.bad"],
)
def test_it_refuses_missing_or_bad_credentials_with_401(db, header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    res = client.get(ME)
    assert res.status_code == 401
    assert res.json() == UNAUTHENTICATED
    assert res["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused(api_key_and_secret):
    key, secret = api_key_and_secret
    apikeys.revoke_api_key(api_key=key)
    assert bearer(secret).get(ME).status_code == 401


def test_an_expired_key_is_refused(api_key_and_secret):
    key, secret = api_key_and_secret
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(secret).get(ME).status_code == 401


def test_a_key_with_a_future_expiry_works(account):
    _, secret = make_key(account, expires_at=timezone.now() + timedelta(days=1))
    assert bearer(secret).get(ME).status_code == 200


def test_an_inactive_account_is_refused(api_client, account):
    account.is_active = False
    account.save()
    assert api_client.get(ME).status_code == 401


@pytest.mark.parametrize(
    ("whitelist", "client_ip", "allowed"),
    [
        ("203.0.113.10", "203.0.113.10", True),
        ("203.0.113.10", "203.0.113.11", False),
        ("198.51.100.0/24", "198.51.100.77", True),
        ("198.51.100.0/24", "198.51.101.1", False),
        ("2001:db8::1", "2001:db8::1", True),
        ("2001:db8::1", "2001:db8::2", False),
        ("2001:db8::/32", "2001:db8:abcd::5", True),
        ("2001:db8::/32", "2001:db9::5", False),
        ("203.0.113.10", "::ffff:203.0.113.10", True),
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("127.0.0.1:8000/0", "8.8.8.8", True),
        ("10.0.0.0/8, 2001:db8::/32", "2001:db8::9", True),
        ("10.0.0.0/8, 2001:db8::/32", "192.0.2.1", False),
    ],
)
def test_the_ip_whitelist_is_enforced(account, whitelist, client_ip, allowed):
    _, secret = make_key(account, ip_whitelist=whitelist)
    res = bearer(secret).get(ME, REMOTE_ADDR=client_ip)
    if allowed:
        assert res.status_code == 200
    else:
        assert res.status_code == 403
        assert res.json() == {
            "status": "failed",
            "code": 403,
            "message": "Access from this IP address is not allowed for this token.",
        }


@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_forwarded_for_is_believed_only_from_a_trusted_proxy(account):
    _, secret = make_key(account, ip_whitelist="203.0.113.10")
    client = bearer(secret)
    via_proxy = client.get(ME, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert via_proxy.status_code == 200
    # A client that is not the proxy cannot spoof its address with the header.
    spoofed = client.get(ME, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert spoofed.status_code == 403
    # The right-most untrusted hop counts: a forged left-most entry is ignored.
    forged = client.get(ME, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10, 198.51.100.1")
    assert forged.status_code == 403


def test_use_is_recorded_without_writing_on_every_request(api_key_and_secret, django_assert_num_queries):
    key, secret = api_key_and_secret
    client = bearer(secret)
    client.get(ME, REMOTE_ADDR="192.0.2.7")
    key.refresh_from_db()
    assert key.last_used_ip == "192.0.2.7"
    assert key.last_used_at is not None
    first_use = key.last_used_at
    client.get(ME, REMOTE_ADDR="192.0.2.7")
    key.refresh_from_db()
    assert key.last_used_at == first_use


def test_only_a_hash_of_the_secret_is_stored(api_key_and_secret):
    key, secret = api_key_and_secret
    key.refresh_from_db()
    stored = [str(v) for v in key.__dict__.values()]
    assert secret not in stored
    assert key.prefix == secret[:10]
    assert key.key_hash == apikeys.hash_key(secret)


def test_session_cookies_do_not_authenticate_the_api(client, owner):
    client.force_login(owner)
    assert client.get(ME).status_code == 401
