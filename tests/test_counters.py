"""Expiring counters in the shared cache (Redis fast path and the portable one)."""

import contextlib
import threading
from unittest import mock

import pytest
from django.core.cache import cache

from portal.core import counters


def test_a_counter_starts_at_zero_and_counts():
    assert counters.incr("c:1", timeout=30) == 1
    assert counters.incr("c:1", 5, timeout=30) == 6
    counters.decr("c:1", 2)
    assert cache.get("c:1") == 4


def test_a_counter_expires_from_its_first_use(settings):
    counters.incr("c:2", timeout=30)
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        ttl = client.ttl(cache.make_and_validate_key("c:2"))
        counters.incr("c:2", timeout=30)
        assert 0 < client.ttl(cache.make_and_validate_key("c:2")) <= ttl <= 30  # not pushed back
    else:
        assert cache.get("c:2") == 1


def test_giving_back_an_expired_counter_is_harmless():
    counters.decr("c:never", 3)
    assert cache.get("c:never") is None


@pytest.mark.parametrize("threads", [8])
def test_concurrent_increments_are_all_counted(threads):
    def work():
        for _ in range(50):
            counters.incr("c:race", timeout=30)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert cache.get("c:race") == threads * 50


def test_on_redis_the_one_round_trip_path_is_taken(settings):
    """`django.core.cache.cache` is a proxy: the Redis path must be found through the backend."""
    _backend, client = counters._redis()
    assert (client is not None) == settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def test_many_counters_count_and_give_back_together():
    assert counters.incr_many({"m:1": 2, "m:2": 3}, timeout=30) == {"m:1": 2, "m:2": 3}
    assert counters.incr_many({"m:1": 1}, timeout=30) == {"m:1": 3}
    counters.decr_many({"m:1": 3, "m:2": 1, "m:gone": 5})
    assert cache.get("m:1") == 0
    assert cache.get("m:2") == 2
    assert cache.get("m:gone") is None  # nothing created for an expired counter


def _round_trips():
    """Counts what reaches Redis: single commands and pipelines (None when the cache is not Redis)."""
    _backend, client = counters._redis()
    if client is None:
        return None
    import redis

    return mock.patch.object(redis.client.Pipeline, "execute", autospec=True, side_effect=redis.client.Pipeline.execute)


def test_counting_in_order_gives_each_steps_value_in_one_round_trip():
    trips = _round_trips()
    with trips or contextlib.nullcontext() as execute:
        assert counters.incr_each([("e:1", 2), ("e:2", 1), ("e:1", 3)], timeout=30) == [2, 1, 5]
    if execute is not None:
        assert execute.call_count == 1
    assert counters.incr_each([], timeout=30) == []


def test_reading_and_counting_share_one_round_trip():
    cache.set("r:version", 7, timeout=None)
    trips = _round_trips()
    with trips or contextlib.nullcontext() as execute:
        found, count = counters.read_and_incr(["r:version", "r:missing"], "r:count", timeout=30)
    assert found == {"r:version": 7} and count == 1
    if execute is not None:
        assert execute.call_count == 1
    assert counters.read_and_incr(["r:version"], "r:count", 2, timeout=30) == ({"r:version": 7}, 3)
