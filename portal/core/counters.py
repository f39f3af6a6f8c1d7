"""Counters in the shared cache that expire: rate-limit windows, per-second send budgets.

On Redis one round trip (INCRBY and EXPIRE NX in a pipeline) instead of the three Django's cache
API needs for add + incr (its incr checks existence first); elsewhere the portable add + incr."""

import contextlib

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache


def incr(key, amount=1, *, timeout):
    """Add `amount` to the counter `key` (created at 0, expiring after `timeout` seconds from its
    first use) and return the new value. Atomic across processes."""
    if isinstance(cache, RedisCache):
        full = cache.make_and_validate_key(key)
        # Django's own client, so the connection pool and key prefix are shared with the cache.
        pipe = cache._cache.get_client(full, write=True).pipeline(transaction=False)
        pipe.incrby(full, amount)
        pipe.expire(full, timeout, nx=True)
        return int(pipe.execute()[0])
    while True:
        cache.add(key, 0, timeout=timeout)
        try:
            return cache.incr(key, amount)
        except ValueError:  # expired between add and incr
            continue


def decr(key, amount=1):
    """Give back `amount`; a counter that has already expired needs nothing given back."""
    with contextlib.suppress(ValueError):
        cache.decr(key, amount)
