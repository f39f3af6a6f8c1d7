"""Brand resolution and the TLS `ask` endpoint.

1. What BrandMiddleware adds to a request: the middleware around a do-nothing view, against the
   view alone, with the brand lookups cached (one version read from the shared cache per request)
   and right after an invalidation (the first request after a brand change).
2. `/tls/ask` under 200 concurrent clients against gunicorn: latency seen by the clients and the
   time spent in Django (Server-Timing), p50/p99.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/bench_brands.py [--ask-only]

`--ask-only` skips part 1 (whose 20,000 database lookups take minutes on a loaded machine), for
alternating before/after runs of the `ask` figures.
"""

import asyncio
import statistics
import sys
import time

from _setup import percentile, scratch_database, setup_django, start_gunicorn

setup_django()

CALLS = 20_000
CLIENTS = 200
PER_CLIENT = 10
HOST = "portal.bench-brand.test"


def _brands():
    from accounts.brands.models import Brand, BrandDomain, DomainStatus

    brand = Brand.objects.create(slug="bench", name="Bench Brand")
    BrandDomain.objects.create(brand=brand, host=HOST, status=DomainStatus.VERIFIED)


def middleware_cost():
    from django.http import HttpResponse
    from django.test import RequestFactory

    from accounts.brands import resolve
    from accounts.brands.middleware import BrandMiddleware

    def view(request):
        return HttpResponse("")

    wrapped = BrandMiddleware(view)
    factory = RequestFactory()
    requests = [factory.get("/login/", HTTP_HOST=HOST) for _ in range(CALLS)]

    def run(handler, bump_every=None):
        times = []
        for n, request in enumerate(requests):
            if bump_every and n % bump_every == 0:
                resolve.bump()
            start = time.perf_counter()
            handler(request)
            times.append((time.perf_counter() - start) * 1e6)
        return times

    run(wrapped)  # warm
    bare, cached = run(view), run(wrapped)
    added = statistics.median(cached) - statistics.median(bare)
    print(f"middleware, cached: p50 {statistics.median(cached):.1f} µs, p99 {percentile(cached, 99):.1f} µs")
    print(f"view alone:         p50 {statistics.median(bare):.1f} µs")
    print(f"added per request (p50): {added:.1f} µs = {added / 1000:.3f} ms")
    after_change = run(wrapped, bump_every=1)
    print(
        f"first request after a brand change (lookup from the database): p50 {statistics.median(after_change):.0f} µs, "
        f"p99 {percentile(after_change, 99):.0f} µs"
    )


async def _client(port, latencies, app_times):
    for _ in range(PER_CLIENT):
        start = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /tls/ask?domain={HOST} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await reader.read()
        writer.close()
        latencies.append((time.perf_counter() - start) * 1000)
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        assert head.startswith("HTTP/1.1 200"), head[:80]
        for line in head.split("\r\n"):
            if line.lower().startswith("server-timing:"):
                app_times.append(float(line.split("dur=")[1]))


async def ask_load(port):
    latencies, app_times = [], []
    start = time.perf_counter()
    await asyncio.gather(*(_client(port, latencies, app_times) for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - start
    print(f"/tls/ask, {CLIENTS} concurrent clients x {PER_CLIENT}: {len(latencies) / elapsed:.0f} req/s")
    print(f"  client latency: p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f} ms")
    p50, p99 = statistics.median(app_times), percentile(app_times, 99)
    print(f"  in Django (Server-Timing): p50 {p50:.2f} ms, p99 {p99:.2f} ms")


def main():
    teardown = scratch_database()
    try:
        _brands()
        if "--ask-only" not in sys.argv:
            middleware_cost()
        from django.conf import settings

        server, port = start_gunicorn(workers=2, broker=settings.CELERY_BROKER_URL)
        try:
            asyncio.run(ask_load(port))  # warm-up round included in the figures' first clients
            asyncio.run(ask_load(port))
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        teardown()


if __name__ == "__main__":
    main()
