"""Authentication of v2 requests: token forms, bad keys, IP whitelists, trusted proxies, last use."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, AuditEvent
from accounts.services import apikeys
from portal.core.net import client_ip
from tests.api.helpers import IP_REFUSED, assert_unauthenticated, bearer
from tests.factories import make_account, make_key

ME = "/api/v2/auth/me"


# Token forms


def test_it_accepts_the_bearer_header(api_client, account):
    res = api_client.get(ME)
    assert res.status_code == 200
    assert res.json()["data"]["id"] == str(account.uuid)


@pytest.mark.parametrize("header", ["bearer {}", "BEARER {}", "Bearer   {}  "])
def test_the_scheme_is_case_insensitive_and_spaces_are_trimmed(api_key_and_secret, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.format(api_key_and_secret[1]))
    assert client.get(ME).status_code == 200


def test_it_accepts_the_key_without_a_scheme(api_key_and_secret, account):
    # `Authorization: <key>`: the vendor's Python and Ruby SDKs send the key bare.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"  {api_key_and_secret[1]} ")
    assert client.get(ME).json()["data"]["id"] == str(account.uuid)


def test_it_accepts_the_access_token_query_parameter(api_key_and_secret, account):
    res = APIClient().get(ME, {"access_token": api_key_and_secret[1]})
    assert res.status_code == 200
    assert res.json()["data"]["username"] == account.username


def test_the_query_parameter_also_works_on_posts(db):
    parent, _ = make_account(credits_amount="5", is_reseller=True)
    child, _ = make_account(parent=parent)
    secret = make_key(parent)[1]
    res = APIClient().post(
        f"/api/v2/finance/credits?access_token={secret}", {"username": child.username, "credits": "1"}
    )
    assert res.status_code == 200


def test_the_query_parameter_is_used_when_the_header_is_not_bearer(api_key_and_secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert client.get(ME, {"access_token": api_key_and_secret[1]}).status_code == 200


def test_the_header_wins_over_the_query_parameter(account, other_account):
    mine, theirs = make_key(account)[1], make_key(other_account)[1]
    res = bearer(mine).get(ME, {"access_token": theirs})
    assert res.json()["data"]["id"] == str(account.uuid)


def test_each_key_resolves_to_its_own_account(api_client, account, other_account):
    other = bearer(make_key(other_account)[1]).get(ME).json()["data"]
    assert other["id"] == str(other_account.uuid)
    assert api_client.get(ME).json()["data"]["id"] == str(account.uuid)


# Refusals: 401 envelope with WWW-Authenticate


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Token {secret}",  # a real key under another scheme
        "{secret}x",  # no scheme, not a key
        "Bearer pk_not-a-real-key",
        "Bearer not-a-key-at-all",
        "Bearer {secret}x",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.bad",
        "Bearer a.b.c",
    ],
)
def test_missing_malformed_or_unknown_credentials_get_401(api_key_and_secret, header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header.format(secret=api_key_and_secret[1]))
    assert_unauthenticated(client.get(ME))


@pytest.mark.parametrize("token", ["", "pk_unknown", "garbage"])
def test_a_bad_access_token_parameter_gets_401(db, token):
    assert_unauthenticated(APIClient().get(ME, {"access_token": token}))


def test_every_account_endpoint_needs_credentials(db):
    client = APIClient()
    assert_unauthenticated(client.get("/api/v2/auth/me"))
    assert_unauthenticated(client.get("/api/v2/finance/balance"))
    assert_unauthenticated(client.post("/api/v2/finance/credits", {"username": "x", "credits": "1"}))
    assert_unauthenticated(client.get("/api/v3/auth/token/generate"))
    assert_unauthenticated(client.get("/api/v3/auth/token/refresh"))


def test_a_revoked_key_is_refused_in_both_forms(api_key_and_secret):
    key, secret = api_key_and_secret
    apikeys.revoke_api_key(api_key=key)
    assert_unauthenticated(bearer(secret).get(ME))
    assert_unauthenticated(APIClient().get(ME, {"access_token": secret}))


def test_an_expired_key_is_refused(api_key_and_secret):
    key, secret = api_key_and_secret
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_unauthenticated(bearer(secret).get(ME))


def test_a_key_with_a_future_expiry_works(account):
    _, secret = make_key(account, expires_at=timezone.now() + timedelta(days=1))
    assert bearer(secret).get(ME).status_code == 200


def test_an_inactive_account_is_refused(api_client, account):
    account.is_active = False
    account.save()
    assert_unauthenticated(api_client.get(ME))


def test_session_cookies_do_not_authenticate_the_api(client, owner):
    client.force_login(owner)
    assert_unauthenticated(client.get(ME))


def test_refused_requests_do_not_record_use(api_key_and_secret):
    key, secret = api_key_and_secret
    apikeys.revoke_api_key(api_key=key)
    bearer(secret).get(ME, REMOTE_ADDR="192.0.2.7")
    key.refresh_from_db()
    assert key.last_used_at is None and key.last_used_ip is None


# IP whitelists


@pytest.mark.parametrize(
    ("whitelist", "client_address", "allowed"),
    [
        ("203.0.113.10", "203.0.113.10", True),
        ("203.0.113.10", "203.0.113.11", False),
        ("198.51.100.0/24", "198.51.100.77", True),
        ("198.51.100.0/24", "198.51.101.1", False),
        ("2001:db8::1", "2001:db8::1", True),
        ("2001:db8::1", "2001:db8::2", False),
        ("2001:db8::/32", "2001:db8:abcd::5", True),
        ("2001:db8::/32", "2001:db9::5", False),
        ("2001:db8::/32", "203.0.113.10", False),
        ("203.0.113.0/24", "2001:db8::1", False),
        # A dual-stack server reports IPv4 clients as IPv4-mapped IPv6 addresses.
        ("203.0.113.10", "::ffff:203.0.113.10", True),
        ("203.0.113.0/24", "::ffff:203.0.113.99", True),
        ("203.0.113.10", "::ffff:203.0.113.11", False),
        # An IPv4-mapped entry means the IPv4 address, for IPv4 and mapped clients alike.
        ("::ffff:203.0.113.10", "203.0.113.10", True),
        ("::ffff:203.0.113.10", "::ffff:203.0.113.10", True),
        ("::ffff:203.0.113.0/120", "203.0.113.99", True),
        ("::ffff:203.0.113.10", "203.0.113.11", False),
        ("10.0.0.0/8, 2001:db8::/32", "2001:db8::9", True),
        ("10.0.0.0/8, 2001:db8::/32", "10.20.30.40", True),
        ("10.0.0.0/8, 2001:db8::/32", "192.0.2.1", False),
        ("10.0.0.1\n10.0.0.2 10.0.0.3", "10.0.0.3", True),
    ],
)
def test_the_ip_whitelist_is_enforced(account, whitelist, client_address, allowed):
    _, secret = make_key(account, ip_whitelist=whitelist)
    res = bearer(secret).get(ME, REMOTE_ADDR=client_address)
    if allowed:
        assert res.status_code == 200
    else:
        assert res.status_code == 403
        assert res.json() == IP_REFUSED


def test_a_key_without_whitelist_works_from_anywhere(api_client):
    for address in ("203.0.113.1", "2001:db8::1", "::ffff:198.51.100.3"):
        assert api_client.get(ME, REMOTE_ADDR=address).status_code == 200


def test_the_whitelist_also_guards_the_query_parameter_form(account):
    _, secret = make_key(account, ip_whitelist="203.0.113.10")
    res = APIClient().get(ME, {"access_token": secret}, REMOTE_ADDR="198.51.100.1")
    assert res.status_code == 403 and res.json() == IP_REFUSED


def test_a_refused_address_is_not_recorded_as_use(account):
    key, secret = make_key(account, ip_whitelist="203.0.113.10")
    bearer(secret).get(ME, REMOTE_ADDR="198.51.100.1")
    key.refresh_from_db()
    assert key.last_used_at is None


# Trusted proxies and X-Forwarded-For


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


def test_without_trusted_proxies_the_header_is_ignored(account, settings):
    settings.TRUSTED_PROXIES = []
    _, secret = make_key(account, ip_whitelist="203.0.113.10")
    res = bearer(secret).get(ME, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert res.status_code == 403


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "fd00::/8"])
def test_a_chain_of_trusted_proxies_is_walked_from_the_right(account):
    _, secret = make_key(account, ip_whitelist="203.0.113.10")
    client = bearer(secret)
    chain = "198.51.100.1, 203.0.113.10, 10.1.1.1, fd00::7"
    assert client.get(ME, REMOTE_ADDR="10.2.2.2", HTTP_X_FORWARDED_FOR=chain).status_code == 200
    # Proxies that write a port or brackets, and a proxy seen through an IPv4-mapped address.
    assert client.get(ME, REMOTE_ADDR="10.2.2.2", HTTP_X_FORWARDED_FOR="203.0.113.10:51234").status_code == 200
    assert client.get(ME, REMOTE_ADDR="::ffff:10.2.2.2", HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200


@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_a_garbled_forwarded_for_denies_whitelisted_keys_and_records_no_address(account):
    key, secret = make_key(account, ip_whitelist="203.0.113.10")
    res = bearer(secret).get(ME, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10, unknown")
    assert res.status_code == 403
    # Without a whitelist the call goes through, and no bogus address reaches the inet column.
    open_key, open_secret = make_key(account)
    assert bearer(open_secret).get(ME, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="unknown").status_code == 200
    open_key.refresh_from_db()
    assert open_key.last_used_at is not None and open_key.last_used_ip is None


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "198.51.100.1", "203.0.113.10", "198.51.100.1"),
        ([], "::ffff:198.51.100.1", "", "198.51.100.1"),
        ([], "2001:DB8::0001", "", "2001:db8::1"),
        ([], "", "", ""),
        (["10.0.0.1"], "10.0.0.1", "", "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", "203.0.113.10", "203.0.113.10"),
        (["10.0.0.1"], "10.0.0.1", "[2001:db8::5]:443", "2001:db8::5"),
        (["10.0.0.1"], "10.0.0.1", "10.0.0.1", "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.2", "203.0.113.10", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.1", "203.0.113.10, 10.9.9.9", "203.0.113.10"),
        (["10.0.0.0/8"], "10.0.0.1", "not-an-ip", ""),
    ],
)
def test_client_ip_resolution(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# Last use


def test_use_is_recorded_without_writing_on_every_request(api_key_and_secret):
    key, secret = api_key_and_secret
    client = bearer(secret)
    client.get(ME, REMOTE_ADDR="192.0.2.7")
    key.refresh_from_db()
    assert key.last_used_ip == "192.0.2.7"
    assert key.last_used_at is not None
    first_use = key.last_used_at
    with CaptureQueriesContext(connection) as queries:
        client.get(ME, REMOTE_ADDR="192.0.2.7")
    assert not [q for q in queries if q["sql"].upper().startswith("UPDATE")]
    key.refresh_from_db()
    assert key.last_used_at == first_use


def test_use_is_written_again_from_a_new_address_or_after_a_minute(api_key_and_secret):
    key, secret = api_key_and_secret
    client = bearer(secret)
    client.get(ME, REMOTE_ADDR="192.0.2.7")
    client.get(ME, REMOTE_ADDR="2001:db8::7")
    key.refresh_from_db()
    assert key.last_used_ip == "2001:db8::7"
    # A minute later (the process keeps the key, and with it when its use was last written).
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        client.get(ME, REMOTE_ADDR="2001:db8::7")
    key.refresh_from_db()
    assert key.last_used_at == later


# Secrets


def test_only_a_hash_of_the_secret_is_stored(api_key_and_secret, account):
    key, secret = api_key_and_secret
    bearer(secret).get(ME)
    key.refresh_from_db()
    assert secret not in [str(v) for v in key.__dict__.values()]
    assert key.prefix == secret[:10]
    assert key.key_hash == apikeys.hash_key(secret)
    for event in AuditEvent.objects.filter(account=account):
        assert secret not in str(event.metadata) and secret not in event.target


def test_auth_me_shows_the_prefix_never_the_secret(api_client, api_key_and_secret):
    key, secret = api_key_and_secret
    res = api_client.get(ME)
    assert secret not in res.content.decode()
    assert res.json()["data"]["token"]["prefix"] == key.prefix
