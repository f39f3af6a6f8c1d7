"""Counters in the shared cache that expire: rate-limit windows, per-second send budgets.

On Redis one round trip (INCRBY and EXPIRE NX in a pipeline) instead of the three Django's cache
API needs for add + incr (its incr checks existence first); elsewhere the portable add + incr."""

import contextlib

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def _redis():
    """(backend, client) when the default cache is Redis, else (backend, None).

    `django.core.cache.cache` is a proxy, so the backend's class is checked on `caches["default"]`
    (an isinstance check on the proxy is always false). Django's Redis backend builds a new client
    object on every call, which costs more than the round trip; one is kept per backend instance
    (each thread has its own), sharing the backend's connection pool and key prefix."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return backend, None
    client = getattr(backend, "_counters_client", None)
    if client is None:
        client = backend._counters_client = backend._cache.get_client(write=True)
    return backend, client


def incr(key, amount=1, *, timeout):
    """Add `amount` to the counter `key` (created at 0, expiring after `timeout` seconds from its
    first use) and return the new value. Atomic across processes."""
    backend, client = _redis()
    if client is not None:
        full = backend.make_and_validate_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.incrby(full, amount)
        pipe.expire(full, timeout, nx=True)
        return int(pipe.execute()[0])
    while True:
        backend.add(key, 0, timeout=timeout)
        try:
            return backend.incr(key, amount)
        except ValueError:  # expired between add and incr
            continue


def incr_many(amounts, *, timeout):
    """`incr()` for many counters ({key: amount}) in one round trip on Redis; returns
    {key: new value}."""
    if not amounts:
        return {}
    backend, client = _redis()
    if client is not None:
        keys = list(amounts)
        pipe = client.pipeline(transaction=False)
        for key in keys:
            name = backend.make_and_validate_key(key)
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
    backend, client = _redis()
    if client is None:
        return [incr(key, amount, timeout=timeout) for key, amount in pairs]
    pipe = client.pipeline(transaction=False)
    for key, amount in pairs:
        name = backend.make_and_validate_key(key)
        pipe.incrby(name, amount)
        pipe.expire(name, timeout, nx=True)
    return [int(v) for v in pipe.execute()[::2]]


def read_and_incr(keys, counter, amount=1, *, timeout):
    """`cache.get_many(keys)` and `incr(counter, amount)` in one round trip on Redis (a request's
    reads and its rate-limit count); returns (the values found, the counter's new value)."""
    backend, client = _redis()
    if client is None:
        return backend.get_many(keys), incr(counter, amount, timeout=timeout)
    name = backend.make_and_validate_key(counter)
    pipe = client.pipeline(transaction=False)
    pipe.mget([backend.make_and_validate_key(key) for key in keys])
    pipe.incrby(name, amount)
    pipe.expire(name, timeout, nx=True)
    values, count, _ = pipe.execute()
    loads = backend._cache._serializer.loads
    return {key: loads(v) for key, v in zip(keys, values, strict=True) if v is not None}, int(count)


# DECRBY only on a counter that still exists: on an expired one it would create a negative
# counter with no expiry.
_GIVE_BACK = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decrby', KEYS[1], ARGV[1]) end"


def decr(key, amount=1):
    """Give back `amount`; a counter that has already expired needs nothing given back."""
    decr_many({key: amount})


def decr_many(amounts):
    """`decr()` for many counters ({key: amount}), in one round trip on Redis."""
    backend, client = _redis()
    if client is None:
        for key, amount in amounts.items():
            with contextlib.suppress(ValueError):
                backend.decr(key, amount)
        return
    pipe = client.pipeline(transaction=False)
    for key, amount in amounts.items():
        pipe.eval(_GIVE_BACK, 1, backend.make_and_validate_key(key), amount)
    pipe.execute()
