"""Where one Engage push SMS spends its time: cProfile over N pushes through Django's test client
(dispatch queued to a scratch Redis database), plus the SQL statements and Redis commands per push.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python profile_push.py [--requests 600] [--top 40] [--sort cumulative]
"""

import argparse
import cProfile
import io
import pstats
import time
from unittest import mock

from _setup import in_process_pusher, push_account, scratch_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        push = in_process_pusher(push_account())

        with mock.patch("messaging.pipeline.submit.enqueue"):
            for i in range(100):
                push(i)
            with CaptureQueriesContext(connection) as queries:
                push(99_999)
            print(f"{len(queries)} SQL statements per push:")
            for q in queries:
                print("   ", q["sql"][:160])
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for i in range(1000, 1000 + args.requests):
                push(i)
            profiler.disable()
            wall = time.perf_counter() - started
        print(f"{args.requests} pushes under cProfile: {wall * 1000 / args.requests:.2f} ms each")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    finally:
        teardown()


if __name__ == "__main__":
    main()
