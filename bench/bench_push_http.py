"""Engage push SMS under load: gunicorn on loopback, 20 concurrent clients, PostgreSQL + Redis.

Server-side latency is read from each response's `Server-Timing` header (time inside Django,
without network or the accept queue); client latency is printed beside it. Dispatch tasks go to
a scratch Redis database that is flushed afterwards; nothing leaves the machine.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_push_http.py [--requests 4000] [--clients 20] [--workers 3]
"""

import argparse
import http.client
import json
import os
import re
import threading
import time

from _setup import percentile, push_account, scratch_database, setup_django, start_gunicorn

BENCH_BROKER_DB = int(os.environ.get("BENCH_BROKER_DB", "7"))  # a Redis DB the run may flush


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    server = None
    try:
        secret = push_account()

        redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        server, port = start_gunicorn(workers=args.workers, broker=re.sub(r"/\d*$", f"/{BENCH_BROKER_DB}", redis_url))

        counter = iter(range(10**9))
        lock = threading.Lock()
        server_ms, client_ms, errors = [], [], []
        per_client = args.requests // args.clients
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

        def client(warm):
            for _ in range(warm or per_client):
                with lock:
                    i = next(counter)
                body = json.dumps(
                    {
                        "type": "transactional",
                        "from": "Push",
                        "transactionID": f"tx-{i}",
                        "to": f"4474{i % 100_000_000:08d}",
                        "msg": f"Your code is {i}",
                        "tiny": "0",
                        "dlr": {"mask": 1},
                    }
                )
                start = time.perf_counter()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", "/v1/messaging/sms", body, headers)
                res = conn.getresponse()
                res.read()
                elapsed = (time.perf_counter() - start) * 1000
                conn.close()
                if warm:
                    continue
                with lock:
                    if res.status != 200:
                        errors.append(res.status)
                        continue
                    client_ms.append(elapsed)
                    server_ms.append(float(res.getheader("Server-Timing").split("dur=")[1]))

        warmers = [threading.Thread(target=client, args=(20,)) for _ in range(args.workers)]
        for t in warmers:
            t.start()
        for t in warmers:
            t.join()
        threads = [threading.Thread(target=client, args=(0,)) for _ in range(args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        print(
            f"push SMS over HTTP: {len(server_ms)} requests, {args.clients} concurrent clients, "
            f"{args.workers} gunicorn workers, {len(server_ms) / wall:.0f} req/s, errors {len(errors)}"
        )
        print(
            f"  server-side (Server-Timing): p50 {percentile(server_ms, 50):.1f} ms, "
            f"p95 {percentile(server_ms, 95):.1f} ms, p99 {percentile(server_ms, 99):.1f} ms"
        )
        print(
            f"  client-side (incl. queueing): p50 {percentile(client_ms, 50):.1f} ms, "
            f"p95 {percentile(client_ms, 95):.1f} ms, p99 {percentile(client_ms, 99):.1f} ms"
        )
    finally:
        if server:
            server.terminate()
            server.wait(10)
        try:
            import redis

            redis.Redis.from_url(re.sub(r"/\d*$", f"/{BENCH_BROKER_DB}", os.environ.get("REDIS_URL", ""))).flushdb()
        except Exception as exc:  # noqa: BLE001 - cleanup only
            print(f"could not flush the benchmark broker: {exc}")
        teardown()


if __name__ == "__main__":
    main()
