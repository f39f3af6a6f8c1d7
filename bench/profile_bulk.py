"""Where a 100,000-recipient `POST /api/v2/sms/send/json` spends its time: the request through
Django's test client in this process (parsing, the view, `submit()`, the answer's encoding; no
HTTP server), a warm-up without a profiler, then under cProfile with a fresh text. Dispatch is
not queued.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python profile_bulk.py [--recipients 100000] [--top 45] [--sort tottime]
"""

import argparse
import cProfile
import io
import json
import pstats
import time
from unittest import mock

from _setup import scratch_database, setup_django
from bench_bulk_send import TEXT, make_world


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings
        from rest_framework.test import APIClient

        from accounts.services.apikeys import create_api_key

        settings.SEND_RECIPIENTS_PER_MINUTE = 0  # three sends of 100,000 in a minute

        account, numbers = make_world(args.recipients)
        account.api_rate_limit = 1_000_000
        account.save()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_api_key(account=account, name='bench')[1]}")

        def send(name):
            body = json.dumps(
                {
                    "root": {"sender": "ACMEIN", "service": "T", "message": TEXT.format(name=name), "name": "bench"},
                    "nodes": [{"to": n} for n in numbers],
                }
            )
            start = time.perf_counter()
            res = client.post("/api/v2/sms/send/json", body, content_type="application/json")
            elapsed = time.perf_counter() - start
            assert res.status_code == 200, res.content[:300]
            return elapsed, len(res.content)

        with mock.patch("messaging.pipeline.submit.enqueue"):
            elapsed, size = send("Asha")
            print(f"send/json in process, warm-up ({size / 1e6:.1f} MB out): {elapsed:.2f} s")
            profiler = cProfile.Profile()
            profiler.enable()
            elapsed, _ = send("Mira")
            profiler.disable()
        print(f"under cProfile: {elapsed:.2f} s")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    finally:
        teardown()


if __name__ == "__main__":
    main()
