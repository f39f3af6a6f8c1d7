"""CPU spent per Engage push SMS, in this process and in its PostgreSQL backend, through Django's
test client (no network; dispatch not queued). CPU time is far less disturbed than latency by other
work on the machine, so before/after pairs stay comparable when the machine is busy.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_push_cpu.py [--requests 1500]
"""

import argparse
import os
import time
from unittest import mock

from _setup import in_process_pusher, push_account, scratch_database, setup_django


def backend_cpu_seconds(pid):
    """utime + stime of a local PostgreSQL backend process."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115, PTH123
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.db import connection

        push = in_process_pusher(push_account())

        with mock.patch("messaging.pipeline.submit.enqueue"):
            for i in range(100):  # warm-up
                push(i)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            own, backend = time.process_time(), backend_cpu_seconds(pid)
            for i in range(1000, 1000 + args.requests):
                push(i)
            own, backend = time.process_time() - own, backend_cpu_seconds(pid) - backend
        n = args.requests
        print(f"push SMS, {n} requests: Python {own * 1000 / n:.2f} ms CPU, ", end="")
        print(f"PostgreSQL backend {backend * 1000 / n:.2f} ms CPU")
    finally:
        teardown()


if __name__ == "__main__":
    main()
