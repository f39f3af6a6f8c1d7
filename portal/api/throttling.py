"""Per-key rate limit: a fixed one-minute window counted in the shared cache (Redis when set)."""

import time

from rest_framework.throttling import BaseThrottle

from portal.core import counters
from portal.core.net import client_ip

ANONYMOUS_LIMIT = 120  # per minute per address, for requests without a valid key


TIMEOUT = 70  # a window's counter outlives its minute a little


def _bucket(ident, now):
    return f"ratelimit:{ident}:{int(now // 60)}"


def key_counter(api_key):
    """The counter this minute's requests with `api_key` are counted in, and its timeout: API
    authentication counts the request in the round trip that reads the rules version
    (apikeys.find_key_cached), and the throttle uses that count."""
    return _bucket(f"key:{api_key.pk}", time.time()), TIMEOUT


def give_back(api_key):
    """Uncount a request authentication counted that is refused before the throttle (a key
    refused after all, a scope it lacks): the limit counts the requests the throttle sees."""
    counted = getattr(api_key, "counted", None)
    if counted:
        counters.decr(counted[0])
        api_key.counted = None


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        api_key = getattr(request, "auth", None)
        if api_key is not None and hasattr(api_key, "account"):
            ident, limit = f"key:{api_key.pk}", api_key.account.rate_limit
        else:
            ident, limit = f"ip:{client_ip(request._request)}", ANONYMOUS_LIMIT
        now = time.time()
        bucket = _bucket(ident, now)
        counted = getattr(api_key, "counted", None)
        if counted and counted[0] == bucket:
            count = counted[1]  # counted by authentication, in its round trip
        else:
            give_back(api_key)  # counted in the minute before: this one counts it
            count = counters.incr(bucket, timeout=TIMEOUT)
        if api_key is not None:
            api_key.counted = None
        self.wait_seconds = max(1, int(60 - (now % 60)) + 1)
        request._request.rate_limit = (limit, max(limit - count, 0), self.wait_seconds)
        return count <= limit

    def wait(self):
        return self.wait_seconds
