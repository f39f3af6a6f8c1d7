"""The Cloud API webhook on the edge server (portal.core.edge): the same intake as
`webhook_buffer.accept`, on an event loop instead of a thread per request.

- POST: the body must be a webhook object (400) signed with the app secret of the numbers it
  names (401, nothing stored). The signature is checked on the loop from the cached numbers
  (`intake.verify_cached`); when the cache cannot say yes (a new number, a changed secret, a
  bad signature) `intake.verify()` decides on a thread, with its own re-reads. Good bodies go to
  a group writer: every body waiting is stored with one multi-row INSERT and one commit
  (`webhook_buffer.store`), and each request is answered 200 only after that commit (503 when
  it failed: the provider retries). Then the applier is nudged, at most every NUDGE_SECONDS.
- GET: Meta's verification handshake (`intake.subscription_challenge`), on a thread.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from django.db import close_old_connections, connections

from messaging.channels.whatsapp import intake, webhook_buffer, webhook_wsgi
from portal.core.edge import Response
from portal.core.edge.batch import GroupWriter, Unavailable

_RECEIVED = b'{"received": true}'


def _verify(payload, body, signature):
    try:
        webhook_buffer.check(payload, body, signature)
    finally:
        close_old_connections()


def _challenge(mode, token, challenge):
    try:
        return intake.subscription_challenge(mode, token, challenge)
    finally:
        close_old_connections()


def _error(status, message):
    return Response.json(status, {"error": message})


class WebhookRoute:
    max_body = webhook_wsgi.MAX_BODY

    def __init__(self):
        self.writer = GroupWriter(webhook_buffer.store, name="edge-whatsapp-intake")
        # Checks that need the database and the broker's nudge: off the loop, beside the writer.
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="edge-whatsapp")

    async def stop(self):
        self.writer.close(finish=connections.close_all)
        self.pool.submit(connections.close_all)
        self.pool.shutdown(wait=True)

    def handle(self, request):
        if request.method == "POST":
            return self._receive(request)
        if request.method in ("GET", "HEAD"):
            return self._handshake(request)
        return Response(405, b"Method Not Allowed", headers=(("Allow", "GET, POST"),))

    async def _receive(self, request):
        body, signature = request.body, request.header("x-hub-signature-256")
        loop = asyncio.get_running_loop()
        try:
            payload = webhook_buffer.parse(body)
            if intake.verify_cached(payload, body, signature) is None:
                await loop.run_in_executor(self.pool, _verify, payload, body, signature)
        except webhook_buffer.Refused as refused:
            return _error(refused.status, refused.message)
        try:
            await self.writer.submit(body)
        except (Unavailable, webhook_buffer.Refused):
            return _error(503, webhook_buffer.NOT_STORED)
        if webhook_buffer.nudge_due():
            self.pool.submit(webhook_buffer.send_nudge)
        return Response(200, _RECEIVED, "application/json")

    async def _handshake(self, request):
        params = parse_qs(request.query)
        mode, token, challenge = (params.get(k, [""])[0] for k in ("hub.mode", "hub.verify_token", "hub.challenge"))
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.pool, _challenge, mode, token, challenge)
        if answer is None:
            return Response(403, b"Verification token mismatch.")
        return Response(200, answer.encode(), "text/plain")
