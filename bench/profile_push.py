"""Where one Engage push SMS spends its time: cProfile over N pushes through Django's test client
(dispatch queued to a scratch Redis database), plus the SQL statements per push and the process's
CPU time per push.

`--threads N` pushes from N threads at once (each its own client and database connection), as a
threaded web worker does, so concurrent sends are accepted together (group commit): statements,
function calls and CPU are then per push of the whole run, every thread's profile merged.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python profile_push.py [--requests 600] [--threads 1] [--top 40] [--sort cumulative]
"""

import argparse
import cProfile
import io
import pstats
import threading
import time
from unittest import mock

from _setup import in_process_pusher, push_account, scratch_database, setup_django


def pushed_together(secret, numbers, threads, *, profile):
    """Push `numbers` from `threads` threads; returns (SQL statements, [profiles], wall seconds)."""
    from django.db import connection, connections

    lock = threading.Lock()
    todo = iter(numbers)
    statements = [0]
    profiles = []

    def count(execute, sql, params, many, context):
        with lock:
            statements[0] += 1
        return execute(sql, params, many, context)

    def worker():
        push = in_process_pusher(secret)
        # Timed by the thread's CPU clock: waits (locks, sockets) would otherwise fill the profile.
        profiler = cProfile.Profile(time.thread_time) if profile else None
        try:
            with connection.execute_wrapper(count):
                if profiler:
                    profiler.enable()
                while True:
                    with lock:
                        i = next(todo, None)
                    if i is None:
                        break
                    push(i)
                if profiler:
                    profiler.disable()
        finally:
            if profiler:
                with lock:
                    profiles.append(profiler)
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return statements[0], profiles, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        secret = push_account()
        push = in_process_pusher(secret)

        # `create`: the same script profiles a checkout from before group dispatch existed.
        with (
            mock.patch("messaging.pipeline.submit.enqueue"),
            mock.patch("messaging.pipeline.submit.enqueue_many", create=True),
        ):
            for i in range(100):
                push(i)
            with CaptureQueriesContext(connection) as queries:
                push(99_999)
            print(f"{len(queries)} SQL statements per push (one push alone):")
            for q in queries:
                print("   ", q["sql"][:160])
            n = args.requests
            # Unprofiled first: the CPU and statements per push; then the same again profiled.
            cpu = time.process_time()
            statements, _, wall = pushed_together(secret, range(1000, 1000 + n), args.threads, profile=False)
            cpu = time.process_time() - cpu
            _, profiles, _ = pushed_together(secret, range(1000 + n, 1000 + 2 * n), args.threads, profile=True)
        stats = pstats.Stats(profiles[0])
        for extra in profiles[1:]:
            stats.add(extra)
        print(
            f"{n} pushes from {args.threads} thread(s): {statements / n:.2f} SQL statements per push, "
            f"{cpu * 1000 / n:.2f} ms CPU per push (this process), {n / wall:.0f} pushes/s, "
            f"{stats.total_calls / n:,.0f} Python function calls per push (cProfile)"
        )
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    finally:
        teardown()


if __name__ == "__main__":
    main()
