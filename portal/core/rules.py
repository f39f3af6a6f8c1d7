"""The rules version: one counter per account (and one for every account) in the shared cache.

Hot paths (sending) keep rarely-changing rules (senders, templates, prices, enabled products,
blocklists) in process memory under this version. Whatever changes such a rule calls `bump()`;
every process sees the new version on its next read, so a change is never served stale.
"""

from time import monotonic

from django.core.cache import cache
from django.db import transaction

from portal.core import counters

ALL_ACCOUNTS = "all"
CACHE_TTL = 60.0  # seconds a process may reuse an account's rules data; bounds memory of idle accounts
_CACHED = {}
_MAX_ENTRIES = 1024


def _key(account):
    return f"scrub-version:{account.pk if account else ALL_ACCOUNTS}"


def bump(account=None):
    """Call after a change to the account's rules (None: every account, e.g. the default rate card).
    Bumped at once and again after commit, so a request that cached the old rules in between
    cannot keep them."""
    _increment(account)
    transaction.on_commit(lambda: _increment(account))


def _increment(account):
    key = _key(account)
    if not cache.add(key, 1, timeout=None):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


def versions(account):
    """The account's rules version (one cache round trip). A request reads it once and passes it
    on, so every lookup of that request sees the same rules."""
    found = cache.get_many([_key(account), _key(None)])
    return found.get(_key(account)), found.get(_key(None))


def versions_counting(account, counter, *, timeout):
    """`versions(account)` and one more on the expiring counter `counter` (a request's rate
    limit), in one round trip: (version, the counter's new value)."""
    found, count = counters.read_and_incr([_key(account), _key(None)], counter, timeout=timeout)
    return (found.get(_key(account)), found.get(_key(None))), count


def request_versions(request, account):
    """The version API authentication read with the request's key for `account` (one round trip
    for both), else a fresh read."""
    django_request = getattr(request, "_request", request)
    version = getattr(django_request, "rules_version", None)
    known = getattr(django_request, "account", None)
    if version is not None and known is not None and known.pk == account.pk:
        return version
    return versions(account)


def cached(account, name, load, version=None):
    """`load()` reused by this process until the account's rules change (`bump`) or CACHE_TTL
    passes. `name` is any hashable naming the lookup; `None` results are not kept."""
    key = (account.pk, name, *(version or versions(account)))
    hit = _CACHED.get(key)
    now = monotonic()
    if hit and now - hit[0] < CACHE_TTL:
        return hit[1]
    value = load()
    if value is not None:
        if len(_CACHED) > _MAX_ENTRIES:
            _CACHED.clear()
        _CACHED[key] = (now, value)
    return value
