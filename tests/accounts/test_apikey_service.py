"""The API key service: secrets shown once, hashes stored, whitelists, expiry, revocation, last use."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey, AuditEvent
from accounts.services import apikeys
from portal.core.errors import DomainError


def test_a_new_key_stores_only_a_hash_and_a_prefix(account, owner):
    key, secret = apikeys.create_api_key(account=account, name=" CI server ", actor=owner)
    assert secret.startswith("pk_") and len(secret) > 40
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.name == "CI server" and stored.created_by == owner
    assert stored.prefix == secret[:10] and stored.key_hash == apikeys.hash_key(secret)
    assert secret not in [str(v) for v in stored.__dict__.values()]
    assert stored.is_active and stored.status_label == "active"


def test_each_key_gets_a_distinct_secret(account):
    secrets = {apikeys.create_api_key(account=account, name=f"k{i}")[1] for i in range(5)}
    assert len(secrets) == 5


def test_creation_is_audited_without_the_secret(account, owner):
    key, secret = apikeys.create_api_key(account=account, name="Audit me", actor=owner, ip_whitelist="10.0.0.1")
    event = AuditEvent.objects.get(account=account, action="api_key.created")
    assert event.actor == owner and event.metadata == {
        "key": str(key.uuid),
        "ip_whitelist": ["10.0.0.1/32"],
        "scopes": ["read", "send", "otp", "write", "webhooks", "credits"],
    }
    assert secret not in str(event.metadata) + event.target


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": ""}, "name", "The name field is required."),
        ({"name": "   "}, "name", "The name field is required."),
        ({"name": "x" * 101}, "name", "The name may not be greater than 100 characters."),
        (
            {"ip_whitelist": "10.0.0.1, nonsense"},
            "ip_whitelist",
            "nonsense is not an IP address or a network in prefix notation (203.0.113.0/24).",
        ),
        ({"ip_whitelist": "300.1.1.1"}, "ip_whitelist", "300.1.1.1 is not an IP address."),
        ({"ip_whitelist": "10.0.0.0/33"}, "ip_whitelist", "10.0.0.0/33: the prefix of an IPv4 network is at most /32."),
        ({"expires_at": "past"}, "expires_at", "The expiry must be in the future."),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(account, kwargs, field, message):
    kwargs.setdefault("name", "Key")
    if kwargs.get("expires_at") == "past":
        kwargs["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(DomainError) as exc:
        apikeys.create_api_key(account=account, **kwargs)
    assert (exc.value.field, exc.value.message) == (field, message)
    assert not ApiKey.objects.filter(account=account).exists()


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("203.0.113.7", ["203.0.113.7/32"]),
        ("198.51.100.0/24", ["198.51.100.0/24"]),
        ("2001:db8::1", ["2001:db8::1/128"]),
        ("2001:db8::/32", ["2001:db8::/32"]),
        ("::ffff:203.0.113.7", ["203.0.113.7/32"]),  # IPv4-mapped entries are stored as IPv4
        ("::ffff:203.0.113.0/120", ["203.0.113.0/24"]),
        ("10.0.0.0/8", ["10.0.0.0/8"]),  # the widest range that needs no confirmation
        ("10.0.0.1, 10.0.0.1,10.0.0.2\n10.0.0.3", ["10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"]),
        ("", []),
    ],
)
def test_whitelists_are_stored_as_networks(account, text, stored):
    key, _ = apikeys.create_api_key(account=account, name="Key", ip_whitelist=text)
    assert key.ip_whitelist == stored


def test_find_key_returns_the_key_active_or_not(account):
    key, secret = apikeys.create_api_key(account=account, name="Key")
    assert apikeys.find_key(secret) == key
    apikeys.revoke_api_key(api_key=key)
    found = apikeys.find_key(secret)
    assert found == key and not found.is_active and found.status_label == "revoked"


@pytest.mark.parametrize("presented", [None, "", "pk_", "pk_unknown", "not-prefixed", "PK_wrong-case"])
def test_find_key_returns_none_for_unknown_secrets(account, presented):
    apikeys.create_api_key(account=account, name="Key")
    assert apikeys.find_key(presented) is None


def test_find_key_needs_no_query_for_a_foreign_format(account, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert apikeys.find_key("eyJhbGciOi.not.ours") is None


def test_revoking_is_audited_once(account, owner):
    key, _ = apikeys.create_api_key(account=account, name="Key")
    apikeys.revoke_api_key(api_key=key, actor=owner)
    first = ApiKey.objects.get(pk=key.pk).revoked_at
    apikeys.revoke_api_key(api_key=key, actor=owner)
    assert ApiKey.objects.get(pk=key.pk).revoked_at == first
    assert AuditEvent.objects.filter(account=account, action="api_key.revoked").count() == 1


def test_expiry_is_part_of_being_active(account):
    key, _ = apikeys.create_api_key(account=account, name="Key", expires_at=timezone.now() + timedelta(hours=1))
    assert key.is_active
    key.expires_at = timezone.now() - timedelta(seconds=1)
    assert not key.is_active and key.status_label == "expired"


def test_the_active_queryset_excludes_revoked_and_expired_keys(account):
    live, _ = apikeys.create_api_key(account=account, name="live")
    revoked, _ = apikeys.create_api_key(account=account, name="revoked")
    apikeys.revoke_api_key(api_key=revoked)
    expired, _ = apikeys.create_api_key(account=account, name="expired")
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert list(ApiKey.objects.for_account(account).active()) == [live]


def test_mark_used_writes_at_most_once_a_minute_per_address(account):
    key, _ = apikeys.create_api_key(account=account, name="Key")

    def updates(ip):
        with CaptureQueriesContext(connection) as queries:
            apikeys.mark_used(key, ip)
        return len([q for q in queries if q["sql"].upper().startswith("UPDATE")])

    assert updates("192.0.2.1") == 1
    assert updates("192.0.2.1") == 0
    assert updates("192.0.2.2") == 1  # a new address is worth recording at once
    key.last_used_at = timezone.now() - timedelta(seconds=61)
    assert updates("192.0.2.2") == 1
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.last_used_ip == "192.0.2.2" and stored.last_used_at > timezone.now() - timedelta(seconds=5)


def test_mark_used_without_a_known_address_stores_null(account):
    key, _ = apikeys.create_api_key(account=account, name="Key")
    apikeys.mark_used(key, "")
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.last_used_at is not None and stored.last_used_ip is None


@pytest.mark.parametrize(
    ("whitelist", "address", "allowed"),
    [
        ([], "203.0.113.1", True),
        ([], "", True),
        (["203.0.113.0/24"], "", False),
        (["203.0.113.0/24"], "garbage", False),
        (["203.0.113.0/24"], "::ffff:203.0.113.4", True),
        (["2001:db8::/32"], "2001:db8::1", True),
        (["2001:db8::/32"], "203.0.113.4", False),
    ],
)
def test_allows_ip(account, whitelist, address, allowed):
    key = ApiKey(account=account, ip_whitelist=whitelist)
    assert key.allows_ip(address) is allowed


# Whitelist entries are parsed strictly


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("127.0.0.1:8000/0", "127.0.0.1:8000/0 carries a port"),  # the catalog example that became 0.0.0.0/0
        ("127.0.0.1:8000", "127.0.0.1:8000 carries a port"),
        ("[2001:db8::1]:443", "[2001:db8::1]:443 carries a port"),
        ("198.51.100.9/24", "198.51.100.9/24 has bits set right of its prefix; did you mean 198.51.100.0/24?"),
        ("10.0.0.0/255.0.0.0", "is not an IP address or a network in prefix notation"),
        ("10.0.0.0/08", "is not an IP address or a network in prefix notation"),
        ("fe80::1%eth0", "is not an IP address or a network in prefix notation"),
        ("127.1", "127.1 is not an IP address"),
        ("2130706433", "2130706433 is not an IP address"),
        ("010.0.0.1", "010.0.0.1 is not an IP address"),
        ("10.0.0.1/33", "the prefix of an IPv4 network is at most /32"),
        ("::ffff:10.0.0.0/90", "an IPv4-mapped network needs a prefix of at least /96"),
        ("example.com", "is not an IP address or a network"),
    ],
)
def test_bad_whitelist_entries_are_refused_by_name(account, text, message):
    with pytest.raises(DomainError) as exc:
        apikeys.create_api_key(account=account, name="Key", ip_whitelist=f"203.0.113.1, {text}")
    assert message in exc.value.message and exc.value.field == "ip_whitelist"
    assert not ApiKey.objects.filter(account=account).exists()


@pytest.mark.parametrize("text", ["0.0.0.0/0", "10.0.0.0/7", "::/0", "2001:db8::/31", "::ffff:0.0.0.0/96"])
def test_wide_ranges_need_a_confirmation(account, text):
    with pytest.raises(DomainError, match="allows a very wide range of addresses"):
        apikeys.create_api_key(account=account, name="Key", ip_whitelist=text)
    key, _ = apikeys.create_api_key(account=account, name="Key", ip_whitelist=text, confirm_wide_ranges=True)
    assert len(key.ip_whitelist) == 1


def test_a_legacy_mapped_entry_still_matches_ipv4_clients(account):
    key = ApiKey(account=account, ip_whitelist=["::ffff:203.0.113.0/120"])
    assert key.allows_ip("203.0.113.9") and not key.allows_ip("203.0.114.9")
