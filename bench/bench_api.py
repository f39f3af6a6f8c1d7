"""API request throughput: authenticated GET auth/me and finance/balance through the full
Django stack (middleware, API-key auth, rate limit, envelope), in one process.

Run:  python bench/bench_api.py [--requests 3000]
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \
          python bench/bench_api.py
"""

import argparse
import statistics
import time

from _setup import percentile, scratch_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings
        from django.core.cache import cache
        from rest_framework.test import APIClient

        from accounts.services import apikeys
        from accounts.services.customers import create_customer

        account, _ = create_customer(email="bench@example.com", password="x", credits_amount="100")
        account.api_rate_limit = 10_000_000
        account.save()
        _, secret = apikeys.create_api_key(account=account, name="bench", ip_whitelist="127.0.0.0/8, ::1")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        cache.clear()
        print(
            f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
            f"cache={settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
        )
        for path in ("/api/v2/auth/me", "/api/v2/finance/balance"):
            for _ in range(50):  # warm-up
                client.get(path)
            latencies = []
            start = time.perf_counter()
            for _ in range(args.requests):
                t0 = time.perf_counter()
                res = client.get(path)
                latencies.append((time.perf_counter() - t0) * 1000)
                assert res.status_code == 200, res.content
            elapsed = time.perf_counter() - start
            print(
                f"{path}: {args.requests / elapsed:,.0f} req/s  p50 {percentile(latencies, 50):.2f} ms  "
                f"p95 {percentile(latencies, 95):.2f} ms  p99 {percentile(latencies, 99):.2f} ms  "
                f"mean {statistics.mean(latencies):.2f} ms"
            )
    finally:
        teardown()


if __name__ == "__main__":
    main()
