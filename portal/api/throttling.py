"""Per-key rate limit: a fixed one-minute window counted in the shared cache (Redis when set)."""

import time

from rest_framework.throttling import BaseThrottle

from portal.core import counters
from portal.core.net import client_ip

ANONYMOUS_LIMIT = 120  # per minute per address, for requests without a valid key


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        api_key = getattr(request, "auth", None)
        if api_key is not None and hasattr(api_key, "account"):
            ident, limit = f"key:{api_key.pk}", api_key.account.rate_limit
        else:
            ident, limit = f"ip:{client_ip(request._request)}", ANONYMOUS_LIMIT
        now = time.time()
        window = int(now // 60)
        bucket = f"ratelimit:{ident}:{window}"
        count = counters.incr(bucket, timeout=70)
        self.wait_seconds = max(1, int(60 - (now % 60)) + 1)
        request._request.rate_limit = (limit, max(limit - count, 0), self.wait_seconds)
        return count <= limit

    def wait(self):
        return self.wait_seconds
