"""The edge server (portal/core/edge): Caddy's TLS `ask` under 200 concurrent clients, beside the
raw asyncio floor and gunicorn in the same sitting, and the two HTTP parsers it could use.

  ask      for each server in turn (the floor: a bare asyncio Protocol answering a set lookup,
           keep-alive, no parser; the edge: `manage.py edge --path /tls/ask`; with --gunicorn,
           gunicorn 2 sync workers with the WSGI fast path): `wrk -t1 -c200 -d<duration>s
           --latency` on a served domain (req/s, p50, p99, the server's CPU per answer), then the
           edge and gunicorn under bench_brands.py's Python client (200 concurrent clients x 10,
           a new connection per ask).
  parsers  httptools (llhttp) against h11, in this process: µs to parse the ask's GET and a
           webhook POST (a new parser per feed, as per connection), one request per feed and
           100 pipelined.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench REDIS_URL=redis://127.0.0.1:6379/3 \\
          ../.venv/bin/python bench_edge.py ask [--duration 8] [--connections 200] [--gunicorn]
          ../.venv/bin/python bench_edge.py parsers

The webhook intake on the edge is `bench_whatsapp.py intake --server edge` (docs/benchmarks.md).
"""

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import time

from _setup import cpu_seconds, free_port, scratch_database, setup_django, start_edge, start_gunicorn, worker_pids

FLOOR = r"""
import asyncio, sys
HOSTS = frozenset({"portal.bench-brand.test"})
class Floor(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            domain = head.split(b" ", 2)[1].partition(b"domain=")[2].decode()
            body = b"ok" if domain in HOSTS else b"unknown domain"
            status = b"200 OK" if domain in HOSTS else b"404 Not Found"
            self.transport.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
async def main(port):
    server = await asyncio.get_running_loop().create_server(Floor, "127.0.0.1", port, backlog=2048)
    await server.serve_forever()
asyncio.run(main(int(sys.argv[1])))
"""

HOST = "portal.bench-brand.test"  # bench_brands.py's served domain


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port, duration, connections, pids):
    """wrk's req/s, p50, p99 (ms) and requests, and the CPU `pids` used per request (µs)."""
    before = sum(cpu_seconds(p) for p in pids)
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("wrk") or "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            f"http://127.0.0.1:{port}/tls/ask?domain={HOST}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu = sum(cpu_seconds(p) for p in pids) - before
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(*re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups())
    p99 = _ms(*re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups())
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    return rate, p50, p99, requests, cpu / max(requests, 1) * 1e6, errors.group(0) if errors else "none"


def _print(name, figures):
    rate, p50, p99, requests, cpu_us, errors = figures
    print(
        f"  {name:<22} {rate:>9,.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
        f"server CPU {cpu_us:6.1f} µs/answer  ({requests:,} answers; errors: {errors})"
    )


def _wait_port(port, seconds=30):
    import socket

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}")


def ask(args):
    import bench_brands
    from django.conf import settings

    bench_brands._brands()
    floor_port = free_port()
    floor = subprocess.Popen([sys.executable, "-c", FLOOR, str(floor_port)])  # noqa: S603 - fixed arguments
    edge, edge_port = start_edge(broker=settings.CELERY_BROKER_URL, paths=["/tls/ask"])
    servers = [("raw asyncio floor", floor, floor_port, [floor.pid]), ("edge server", edge, edge_port, [edge.pid])]
    gunicorn = None
    if args.gunicorn:
        gunicorn, gunicorn_port = start_gunicorn(workers=2, broker=settings.CELERY_BROKER_URL)
        servers.append(("gunicorn 2 sync workers", gunicorn, gunicorn_port, worker_pids(gunicorn)))
    try:
        _wait_port(floor_port)
        print(f"wrk -t1 -c{args.connections} -d{args.duration}s --latency /tls/ask?domain={HOST}")
        for _round in range(args.rounds):
            for name, _process, port, pids in servers:
                _print(name, wrk(port, args.duration, args.connections, pids))
        print("bench_brands.py's client: 200 concurrent clients x 10 asks, a new connection each")
        for name, _process, port, _pids in servers[1:]:
            print(f"  {name}:")
            asyncio.run(bench_brands.ask_load(port))  # warm-up round
            asyncio.run(bench_brands.ask_load(port))
    finally:
        for _name, process, _port, _pids in servers:
            process.terminate()
        for _name, process, _port, _pids in servers:
            process.wait(timeout=30)


def parsers(args):
    """µs per request for httptools and h11, parsing `count` pipelined requests per feed."""
    import h11
    import httptools

    body = b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}' * 4
    samples = {
        "ask GET": (
            f"GET /tls/ask?domain={HOST} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "User-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n"
        ).encode(),
        "webhook POST": (
            b"POST /whatsapp/cloud/webhook HTTP/1.1\r\nHost: portal.example.com\r\nContent-Type: application/json\r\n"
            b"X-Hub-Signature-256: sha256=" + b"a" * 64 + b"\r\nUser-Agent: facebookexternalua\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        ),
    }

    class Sink:
        def __init__(self):
            self.done = 0

        def on_message_complete(self):
            self.done += 1

        def on_header(self, name, value):
            pass

        def on_url(self, url):
            pass

        def on_body(self, body):
            pass

    def with_httptools(data, count):
        sink = Sink()
        httptools.HttpRequestParser(sink).feed_data(data)
        assert sink.done == count

    def with_h11(data, count):
        conn = h11.Connection(h11.SERVER)
        conn.receive_data(data)
        done = 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.EndOfMessage):
                done += 1
                conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                conn.send(h11.EndOfMessage())
                conn.start_next_cycle()
        assert done == count

    print(f"CPU µs per request, best of {args.rounds} x 2,000 requests, fed one at a time and 100 pipelined at a time")
    for name, one in samples.items():
        for count in (1, 100):
            data = one * count
            for parser, fn in (("httptools", with_httptools), ("h11", with_h11)):
                best = float("inf")
                feeds = 2000 // count
                for _ in range(args.rounds):
                    start = time.process_time()  # CPU, not wall time: the machine is shared
                    for _ in range(feeds):
                        fn(data, count)
                    best = min(best, (time.process_time() - start) / (feeds * count))
                print(f"  {name:<13} {count:>3} per feed  {parser:<10} {best * 1e6:7.2f} µs/request")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("ask", "parsers"))
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--gunicorn", action="store_true", help="ask: gunicorn's WSGI fast path too")
    args = parser.parse_args()
    if args.mode == "parsers":
        return parsers(args)
    setup_django()
    teardown = scratch_database()
    try:
        ask(args)
    finally:
        teardown()
    return None


if __name__ == "__main__":
    sys.exit(main())
