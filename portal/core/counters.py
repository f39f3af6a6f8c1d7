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


def incr_many(amounts, *, timeout):
    """`incr()` for many counters ({key: amount}) in one round trip on Redis; returns
    {key: new value}."""
    if not amounts:
        return {}
    if isinstance(cache, RedisCache):
        keys = list(amounts)
        full = [cache.make_and_validate_key(k) for k in keys]
        pipe = cache._cache.get_client(full[0], write=True).pipeline(transaction=False)
        for name, key in zip(full, keys, strict=True):
            pipe.incrby(name, amounts[key])
            pipe.expire(name, timeout, nx=True)
        values = pipe.execute()[::2]
        return {key: int(v) for key, v in zip(keys, values, strict=True)}
    return {key: incr(key, amount, timeout=timeout) for key, amount in amounts.items()}


def decr(key, amount=1):
    """Give back `amount`; a counter that has already expired needs nothing given back."""
    with contextlib.suppress(ValueError):
        cache.decr(key, amount)
