"""A constant send rate per connector, shared by every worker through the cache (Redis in
production): at most `rate` messages are handed to a connector in any one second."""

import time

from django.conf import settings

from portal.core import counters


def rate_for(connector):
    """A connector's messages per second: its own (staff-configured) rate, else CONNECTOR_RATES
    by name. `connector` is a connector or its name."""
    rate = getattr(connector, "rate", None)
    if rate:
        return rate
    name = getattr(connector, "name", connector)
    return settings.CONNECTOR_RATES.get(name, settings.CONNECTOR_RATES.get("default", 1000))


def _give_back(key, amount):
    counters.decr(key, amount)  # an expired second needs nothing given back


def take(connector, wanted, *, bulk=False, clock=None, sleep=None):
    """Block until up to `wanted` sends are allowed in the current second; returns how many.

    Bulk traffic may fill only `1 - CONNECTOR_URGENT_RESERVE` of each second, so a 100k campaign
    draining at full speed still leaves room for one-time passwords and push messages, which may
    use the whole rate."""
    clock, sleep = clock or time.time, sleep or time.sleep
    rate = rate_for(connector)
    connector = getattr(connector, "name", connector)
    if bulk:
        rate = max(1, int(rate * (1 - settings.CONNECTOR_URGENT_RESERVE)))
    while True:
        now = clock()
        key = f"send-rate:{connector}:{int(now)}"
        used = counters.incr(key, wanted, timeout=5)
        granted = wanted - max(0, used - rate)
        if granted > 0:
            if granted < wanted:
                _give_back(key, wanted - granted)  # what this second can't carry
            return granted
        _give_back(key, wanted)
        sleep(max(0.001, 1 - (now % 1)))  # this second is full: wait for the next one
