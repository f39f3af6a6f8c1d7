"""Server-side cost of one Engage push SMS (POST /v1/messaging/sms), measured through Django's
test client in one process (no network), on PostgreSQL + Redis.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_push.py [--requests 2000]
"""

import argparse
import time
from unittest import mock

from _setup import percentile, push_account, scratch_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from rest_framework.test import APIClient

        secret = push_account()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        latencies = []
        with mock.patch("messaging.pipeline.submit.enqueue"):
            for i in range(args.requests + 50):
                body = {
                    "type": "transactional",
                    "from": "Push",
                    "transactionID": f"tx-{i}",
                    "to": f"447400{100000 + i}",
                    "msg": f"Your code is {i}",
                    "tiny": "0",
                    "dlr": {"mask": 1},
                }
                start = time.perf_counter()
                res = client.post("/v1/messaging/sms", body, format="json")
                if i >= 50:  # warm-up excluded
                    latencies.append((time.perf_counter() - start) * 1000)
                assert res.status_code == 200, res.content
        print(
            f"push SMS, {len(latencies)} requests, one process: p50 {percentile(latencies, 50):.1f} ms, "
            f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms"
        )
    finally:
        teardown()


if __name__ == "__main__":
    main()
