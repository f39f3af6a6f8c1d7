"""Expiring counters in the shared cache (Redis fast path and the portable one)."""

import threading

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
