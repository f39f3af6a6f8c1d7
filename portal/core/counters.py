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


def incr_each(pairs, *, timeout):
    """`incr()` for each (key, amount) in order, a key possibly more than once, in one round trip
    on Redis; returns the value after each step, as successive `incr()` calls would."""
    pairs = list(pairs)
    if not pairs:
        return []
    if isinstance(cache, RedisCache):
        full = [cache.make_and_validate_key(key) for key, _ in pairs]
        pipe = cache._cache.get_client(full[0], write=True).pipeline(transaction=False)
        for name, (_, amount) in zip(full, pairs, strict=True):
            pipe.incrby(name, amount)
            pipe.expire(name, timeout, nx=True)
        return [int(v) for v in pipe.execute()[::2]]
    return [incr(key, amount, timeout=timeout) for key, amount in pairs]


def read_and_incr(keys, counter, amount=1, *, timeout):
    """`cache.get_many(keys)` and `incr(counter, amount)` in one round trip on Redis (a request's
    reads and its rate-limit count); returns (the values found, the counter's new value)."""
    if isinstance(cache, RedisCache):
        full = [cache.make_and_validate_key(key) for key in keys]
        name = cache.make_and_validate_key(counter)
        client = cache._cache.get_client(name, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.mget(full)
        pipe.incrby(name, amount)
        pipe.expire(name, timeout, nx=True)
        values, count, _ = pipe.execute()
        loads = cache._cache._serializer.loads
        return {key: loads(v) for key, v in zip(keys, values, strict=True) if v is not None}, int(count)
    return cache.get_many(keys), incr(counter, amount, timeout=timeout)


def decr(key, amount=1):
    """Give back `amount`; a counter that has already expired needs nothing given back."""
    with contextlib.suppress(ValueError):
        cache.decr(key, amount)
