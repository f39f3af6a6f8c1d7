"""Engage push SMS under load: gunicorn on loopback, concurrent clients, PostgreSQL + Redis.

Server-side latency is read from each response's `Server-Timing` header (time inside Django,
without network or the accept queue); client latency is printed beside it. Dispatch tasks go to
a Redis database (`--broker-db`, default the one REDIS_URL names) that is flushed afterwards;
nothing leaves the machine.

`--keepalive` uses one asyncio keep-alive connection per client (the way the Jasmin peer's
`load_http.py` loads its gateway: cheap on the shared cores); without it, client threads open a
connection per request. `--worker-class gthread --threads N` runs the portal's threaded worker.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_push_http.py [--requests 4000] [--clients 20] [--workers 3] \\
          [--keepalive] [--worker-class gthread --threads 8]
"""

import argparse
import asyncio
import http.client
import json
import os
import re
import threading
import time

from _setup import (
    cpu_seconds,
    percentile,
    push_account,
    scratch_database,
    setup_django,
    start_gunicorn,
    worker_pids,
)


def body_for(i):
    return json.dumps(
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


async def keepalive_load(port, secret, *, requests, clients, offset):
    """`clients` keep-alive connections pushing `requests` in total; (server ms, client ms, errors,
    wall seconds)."""
    server_ms, client_ms, errors = [], [], []
    counter = iter(range(offset, offset + requests))

    async def one_client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in counter:
                body = body_for(i).encode()
                head = (
                    f"POST /v1/messaging/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {secret}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                start = time.perf_counter()
                writer.write(head.encode() + body)
                status = int((await reader.readline()).split()[1])
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length", 0)))
                elapsed = (time.perf_counter() - start) * 1000
                if status != 200:
                    errors.append(status)
                else:
                    client_ms.append(elapsed)
                    server_ms.append(float(headers["server-timing"].split("dur=")[1]))
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return server_ms, client_ms, errors, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--keepalive", action="store_true")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--broker-db", type=int, default=None)
    args = parser.parse_args()
    threads = args.threads if args.worker_class == "gthread" else 1
    setup_django()
    teardown = scratch_database()
    server = None
    broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        secret = push_account()

        redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        if args.broker_db is not None:
            broker = re.sub(r"/\d*$", f"/{args.broker_db}", redis_url)
        else:
            broker = redis_url
        extra = {"threads": threads} if threads > 1 else {}
        server, port = start_gunicorn(workers=args.workers, broker=broker, **extra)
        if args.keepalive:
            asyncio.run(keepalive_load(port, secret, requests=200, clients=args.workers * threads, offset=10**8))
            cpu = workers_cpu(server)
            server_ms, client_ms, errors, wall = asyncio.run(
                keepalive_load(port, secret, requests=args.requests, clients=args.clients, offset=0)
            )
            report(args, threads, server_ms, client_ms, errors, wall, workers_cpu(server) - cpu)
            return

        counter = iter(range(10**9))
        lock = threading.Lock()
        server_ms, client_ms, errors = [], [], []
        per_client = args.requests // args.clients
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

        def client(warm):
            for _ in range(warm or per_client):
                with lock:
                    i = next(counter)
                body = body_for(i)
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
        pool = [threading.Thread(target=client, args=(0,)) for _ in range(args.clients)]
        cpu = workers_cpu(server)
        started = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        wall = time.perf_counter() - started
        report(args, threads, server_ms, client_ms, errors, wall, workers_cpu(server) - cpu)
    finally:
        if server:
            server.terminate()
            server.wait(10)
        try:
            import redis

            redis.Redis.from_url(broker).flushdb()
        except Exception as exc:  # noqa: BLE001 - cleanup only
            print(f"could not flush the benchmark broker: {exc}")
        teardown()


def workers_cpu(server):
    """CPU seconds gunicorn's workers have used so far (what the requests cost, whatever waits)."""
    return sum(cpu_seconds(pid) for pid in worker_pids(server))


def report(args, threads, server_ms, client_ms, errors, wall, cpu):
    shape = f"{args.workers} gunicorn workers" + (f" x {threads} threads" if threads > 1 else " (sync)")
    client = "keep-alive asyncio" if args.keepalive else "thread"
    print(
        f"push SMS over HTTP: {len(server_ms)} requests, {args.clients} concurrent {client} clients, "
        f"{shape}, {len(server_ms) / wall:.0f} req/s, errors {len(errors)}"
    )
    print(
        f"  server-side (Server-Timing): p50 {percentile(server_ms, 50):.1f} ms, "
        f"p95 {percentile(server_ms, 95):.1f} ms, p99 {percentile(server_ms, 99):.1f} ms"
    )
    print(
        f"  client-side (incl. queueing): p50 {percentile(client_ms, 50):.1f} ms, "
        f"p95 {percentile(client_ms, 95):.1f} ms, p99 {percentile(client_ms, 99):.1f} ms"
    )
    print(f"  web workers' CPU: {cpu * 1000 / max(1, len(server_ms) + len(errors)):.2f} ms per request")


if __name__ == "__main__":
    main()
