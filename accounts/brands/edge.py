"""Caddy's TLS `ask` on the edge server (portal.core.edge): `ask.decide()` answered from the
process's own copy of the served hosts, with no database or cache call on the request path.

A thread reads `resolve.served_hosts()` every BRAND_CACHE_CHECK_SECONDS (at least 0.1 s): that
compares the shared brand version stamp (one cache read) and queries the domains only when it
changed, so a brand change reaches the ask within about a second, as it reaches every other
process. If a read fails (the database or the cache restarting) the ask keeps answering from the
last set and the next read tries again.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter

from django.conf import settings
from django.db import close_old_connections, connections

from accounts.brands import ask, resolve
from portal.core.edge import Response

log = logging.getLogger(__name__)

_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"))
# Answers kept per (Host header, query) until the served set changes: `decide()` costs ~30 µs
# of Django host parsing, a dict hit well under 1 µs. Bounded, so probing random names cannot
# grow it without limit (when full it starts again).
ANSWERS_KEPT = 4096


def _served():
    close_old_connections()  # a connection the database dropped is replaced, not reused
    return resolve.served_hosts()


class AskRoute:
    max_body = 0

    def __init__(self):
        self.served = None
        self.answers = {}
        self.generation = 0  # reads done (tests wait on it)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="edge-brands")
        self._poller = None

    async def start(self):
        await self._reload()
        self._poller = asyncio.create_task(self._poll())

    async def stop(self):
        if self._poller is not None:
            self._poller.cancel()
        await asyncio.get_running_loop().run_in_executor(self._pool, connections.close_all)
        self._pool.shutdown(wait=True)

    async def _reload(self):
        served = await asyncio.get_running_loop().run_in_executor(self._pool, _served)
        if served != self.served:
            self.served, self.answers = served, {}
        self.generation += 1

    async def _poll(self):
        interval = max(settings.BRAND_CACHE_CHECK_SECONDS, 0.1)
        while True:
            await asyncio.sleep(interval)
            try:
                await self._reload()
            except Exception:  # noqa: BLE001 - keep answering from the last set
                log.warning("edge: the served hosts could not be read; answering from the last set", exc_info=True)
                self.generation += 1

    def handle(self, request):
        if request.method not in ("GET", "HEAD"):
            return Response(405, b"Method Not Allowed", headers=(("Allow", "GET, HEAD"), *_HEADERS))
        start = perf_counter()
        key = (request.header("host"), request.query)
        answer = self.answers.get(key)
        if answer is None:
            if len(self.answers) >= ANSWERS_KEPT:
                self.answers = {}
            answer = self.answers[key] = ask.decide(*key, served=self.served)
        status, body = answer
        timing = ("Server-Timing", f"app;dur={(perf_counter() - start) * 1000:.2f}")
        return Response(status, body, headers=(*_HEADERS, timing))
