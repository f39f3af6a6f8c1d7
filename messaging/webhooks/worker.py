"""The delivery worker: many deliveries in flight from one task, the schedule in the database.

One loop (the calling thread) does all database work: fan out new events, claim due deliveries,
record outcomes. The HTTP calls run concurrently on an asyncio loop in a helper thread, through one
SSRF-checked client with connection reuse per endpoint. Limits:
- WEBHOOK_CONCURRENCY requests in flight in total (WEBHOOK_BACKLOG rows claimed at most);
- WEBHOOK_ENDPOINT_CONCURRENCY per endpoint (scheme://host:port) -- a receiver that hangs holds
  at most that many slots, each for at most WEBHOOK_TIMEOUT_SECONDS, while others keep flowing.

Claims are conditional: a claim stamps the row with a token and a lease (`locked_until`), and an
outcome is written only where the token still matches, so two workers never deliver the same
attempt twice; a crashed worker's rows are claimable again when their lease ends.
"""

import asyncio
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from messaging.webhooks import formats, health, render
from messaging.webhooks.models import Attempt, Delivery, DeliveryStatus, Webhook
from messaging.webhooks.routing import fan_out
from messaging.webhooks.schedule import next_attempt
from portal.core.events.models import Event
from portal.core.outbound import PinnedPool, Refused, Response

log = logging.getLogger(__name__)

LEASE_SECONDS = 60
REQUEST_LOG_BYTES = 16_384


@dataclass
class Outcome:
    delivery_id: int
    number: int
    started_at: object
    request: render.Request
    status_code: int | None = None
    latency_ms: int = 0
    error: str = ""
    response_headers: dict = field(default_factory=dict)
    response_body: str = ""
    success: bool = False
    send_by: float = float("inf")  # monotonic time after which the claim may have lapsed
    skipped: bool = False


def _client(timeout):
    return PinnedPool(allow_loopback=settings.WEBHOOKS_ALLOW_LOOPBACK, max_idle_per_origin=settings.WEBHOOK_CONCURRENCY)


class _HttpxClient:
    """Adapter so an httpx.AsyncClient (tests: MockTransport) stands in for the PinnedPool."""

    def __init__(self, client):
        self.client = client

    async def request(self, method, url, *, headers, content=b"", cap=65536):
        async with self.client.stream(method, url, headers=headers, content=content or None) as response:
            if hasattr(response, "_content"):  # already read (in-memory transports)
                body = response.content[:cap]
            else:
                buffer = bytearray()
                async for chunk in response.aiter_raw():
                    buffer.extend(chunk)
                    if len(buffer) >= cap:
                        break
                body = bytes(buffer[:cap])
            headers = {k.lower(): v for k, v in response.headers.items()}
            return Response(response.status_code, headers, body)

    async def aclose(self):
        await self.client.aclose()


async def send(client, request, *, timeout, cap):
    """One HTTP call with an overall deadline; returns (status, headers, body, error, latency_ms).
    Redirects are not followed; at most `cap` bytes of the answer are read."""
    start = time.perf_counter()
    status, headers, body, error = None, {}, b"", ""
    try:
        async with asyncio.timeout(timeout):
            response = await client.request(
                request.method, request.url, headers=request.headers, content=request.content, cap=cap
            )
        status, body = response.status_code, response.body
        headers = dict(list(response.headers.items())[:40])
        if response.is_redirect:
            error = f"Redirect to {response.headers.get('location', '?')[:200]} not followed."
    except Refused as exc:
        error = str(exc)
    except TimeoutError:
        error = f"No answer within {timeout:g} s."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        error = f"Connection failed: {type(exc).__name__} {exc}"[:300]
    latency = int((time.perf_counter() - start) * 1000)
    return status, headers, body, error, latency


class _Engine:
    """The asyncio side: a loop thread, one client, per-endpoint semaphores, a result queue."""

    def __init__(self, client_factory, timeout, cap, concurrency):
        self.results = queue.SimpleQueue()
        self.concurrency = concurrency
        self.timeout, self.cap = timeout, cap
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="webhook-http", daemon=True)
        self.thread.start()
        self.client = asyncio.run_coroutine_threadsafe(self._make(client_factory), self.loop).result()
        self.semaphores = {}

    async def _make(self, factory):
        # Created on the loop: the global limit on requests in flight.
        self.slots = asyncio.Semaphore(self.concurrency)
        client = factory(self.timeout)
        return _HttpxClient(client) if isinstance(client, httpx.AsyncClient) else client

    async def _one(self, endpoint, limit, outcome):
        try:
            semaphore = self.semaphores.setdefault(endpoint, asyncio.Semaphore(limit))
            # Endpoint first, then a global slot: rows queued behind a slow endpoint hold no slot.
            async with semaphore, self.slots:
                if time.monotonic() + self.timeout > outcome.send_by:
                    # Our claim would lapse mid-request: leave the row for whoever claims it next.
                    outcome.skipped = True
                    return
                status, headers, body, error, latency = await send(
                    self.client, outcome.request, timeout=self.timeout, cap=self.cap
                )
            outcome.status_code, outcome.response_headers, outcome.latency_ms = status, headers, latency
            outcome.response_body = body.decode("utf-8", "replace")
            outcome.error = error
        except Exception as exc:  # never lose the slot: an unexpected error is a failed attempt
            log.exception("webhook delivery crashed")
            outcome.error = f"Internal error: {type(exc).__name__}"
        finally:
            self.results.put((endpoint, outcome))

    def submit(self, endpoint, limit, outcome):
        asyncio.run_coroutine_threadsafe(self._one(endpoint, limit, outcome), self.loop)

    def close(self):
        asyncio.run_coroutine_threadsafe(self.client.aclose(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


# ---- claiming -------------------------------------------------------------------------------

_CLAIM_SQL = """
WITH ranked AS (
    SELECT d.id, row_number() OVER (PARTITION BY d.endpoint ORDER BY d.next_attempt_at, d.id) AS rn,
           d.next_attempt_at
      FROM webhooks_delivery d
      LEFT JOIN webhooks_webhook w ON w.id = d.webhook_id
     WHERE d.status IN ('pending', 'retrying', 'sending')
       AND d.next_attempt_at <= %(now)s
       AND (d.status <> 'sending' OR d.locked_until < %(now)s)
       AND (w.id IS NULL OR (w.is_active AND (w.token = '' OR w.verified_at IS NOT NULL)))
       AND NOT (d.endpoint = ANY(%(busy)s))
     ORDER BY d.next_attempt_at, d.id
     LIMIT %(window)s
), picked AS (
    SELECT d.id FROM webhooks_delivery d JOIN ranked r ON r.id = d.id
     WHERE r.rn <= %(per_endpoint)s
     ORDER BY r.next_attempt_at, d.id
     LIMIT %(limit)s
       FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhooks_delivery d
   SET status = 'sending', claim = %(claim)s, locked_until = %(lease)s, updated_at = %(now)s
  FROM picked
 WHERE d.id = picked.id
RETURNING d.id
"""


def claim(*, limit, busy, per_endpoint, now, token):
    """Mark up to `limit` due deliveries as ours; returns their ids."""
    if limit <= 0:
        return []
    lease = now + timedelta(seconds=LEASE_SECONDS)
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _CLAIM_SQL,
                {
                    "now": now,
                    "busy": list(busy),
                    "window": max(limit * 4, 5000),
                    "per_endpoint": per_endpoint,
                    "limit": limit,
                    "claim": token,
                    "lease": lease,
                },
            )
            return [row[0] for row in cursor.fetchall()]
    # Other databases (SQLite in local runs): the same rules, one worker at a time.
    with transaction.atomic():
        due = (
            Delivery.objects.filter(status__in=("pending", "retrying", "sending"), next_attempt_at__lte=now)
            .exclude(status="sending", locked_until__gte=now)
            .exclude(endpoint__in=list(busy))
            .exclude(webhook__is_active=False)
            .exclude(webhook__verified_at__isnull=True, webhook__token__gt="")
            .order_by("next_attempt_at", "id")
            .values_list("id", "endpoint")[: limit * 20]
        )
        ids, counts = [], {}
        for pk, endpoint in due:
            if counts.get(endpoint, 0) < per_endpoint and len(ids) < limit:
                counts[endpoint] = counts.get(endpoint, 0) + 1
                ids.append(pk)
        Delivery.objects.filter(pk__in=ids).update(status="sending", claim=token, locked_until=lease, updated_at=now)
    return ids


# ---- recording ------------------------------------------------------------------------------


def _is_success(outcome, event_type):
    if outcome.error or outcome.status_code is None:
        return False
    return outcome.status_code in formats.of(event_type).success_codes


def record(outcomes, *, token, now):
    """Write the attempts and move each delivery on (delivered, retry later, or failed), only
    where our claim still holds. Returns how many were delivered."""
    outcomes = [o for o in outcomes if not o.skipped]
    if not outcomes:
        return 0
    by_id = {o.delivery_id: o for o in outcomes}
    rows = {
        d.pk: d
        for d in Delivery.objects.filter(pk__in=list(by_id), claim=token).only(
            "id", "account_id", "attempts", "max_attempts", "event_type", "webhook_id"
        )
    }
    attempts, updates, delivered = [], [], 0
    per_webhook = {}
    for pk, d in rows.items():
        o = by_id[pk]
        o.success = _is_success(o, d.event_type)
        if not o.success and not o.error:
            o.error = f"HTTP {o.status_code} is not a success answer."
        number = d.attempts + 1
        attempts.append(
            Attempt(
                delivery_id=pk,
                account_id=d.account_id,
                number=number,
                started_at=o.started_at,
                method=o.request.method,
                url=o.request.url[:2000],
                request_headers=render.logged_headers(o.request.headers),
                request_body=o.request.content[:REQUEST_LOG_BYTES].decode("utf-8", "replace"),
                status_code=o.status_code,
                latency_ms=o.latency_ms,
                success=o.success,
                error=o.error[:300],
                response_headers=o.response_headers,
                response_body=o.response_body,
            )
        )
        if o.success:
            status, when, delivered = DeliveryStatus.DELIVERED, None, delivered + 1
        elif number >= d.max_attempts:
            status, when = DeliveryStatus.FAILED, None
        else:
            status, when = DeliveryStatus.RETRYING, next_attempt(now, number)
        updates.append((pk, status, number, when, o.status_code, o.error[:300]))
        if d.webhook_id:
            per_webhook.setdefault(d.webhook_id, []).append(o.success)
    with transaction.atomic():
        _insert_attempts(attempts)
        _update_deliveries(updates, token=token, now=now)
        health.note(per_webhook, now=now)
    return delivered


def _insert_attempts(attempts):
    if connection.vendor != "postgresql" or len(attempts) < 50:
        Attempt.objects.bulk_create(attempts, batch_size=1000)
        return
    columns = (
        "delivery_id, account_id, number, started_at, method, url, request_headers, request_body, "
        "status_code, latency_ms, success, error, response_headers, response_body"
    )
    with connection.cursor() as cursor, cursor.copy(f"COPY webhooks_attempt ({columns}) FROM STDIN") as copy:
        for a in attempts:
            copy.write_row(
                (
                    a.delivery_id,
                    a.account_id,
                    a.number,
                    a.started_at,
                    a.method,
                    a.url,
                    json.dumps(a.request_headers),
                    a.request_body,
                    a.status_code,
                    a.latency_ms,
                    a.success,
                    a.error,
                    json.dumps(a.response_headers),
                    a.response_body.replace("\x00", ""),
                )
            )


_UPDATE_SQL = """
UPDATE webhooks_delivery d
   SET status = v.status, attempts = v.attempts, next_attempt_at = COALESCE(v.next_at, d.next_attempt_at),
       last_status_code = v.code, last_error = v.error, claim = NULL, locked_until = NULL,
       delivered_at = CASE WHEN v.status = 'delivered' THEN %(now)s ELSE d.delivered_at END,
       updated_at = %(now)s
  FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(attempts)s::int[], %(next)s::timestamptz[],
              %(codes)s::int[], %(errors)s::text[]) AS v(id, status, attempts, next_at, code, error)
 WHERE d.id = v.id AND d.claim = %(claim)s
"""


def _update_deliveries(updates, *, token, now):
    if not updates:
        return
    if connection.vendor == "postgresql":
        ids, statuses, numbers, nexts, codes, errors = (list(col) for col in zip(*updates, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                _UPDATE_SQL,
                {
                    "ids": ids,
                    "statuses": [str(s) for s in statuses],
                    "attempts": numbers,
                    "next": nexts,
                    "codes": codes,
                    "errors": errors,
                    "claim": token,
                    "now": now,
                },
            )
        return
    for pk, status, number, when, code, error in updates:
        changes = {
            "status": status,
            "attempts": number,
            "last_status_code": code,
            "last_error": error,
            "claim": None,
            "locked_until": None,
            "updated_at": now,
        }
        if when:
            changes["next_attempt_at"] = when
        if status == DeliveryStatus.DELIVERED:
            changes["delivered_at"] = now
        Delivery.objects.filter(pk=pk, claim=token).update(**changes)


# ---- the loop -------------------------------------------------------------------------------


def _signing_key(delivery, webhook, payload):
    if webhook is not None:
        return str(webhook.uuid)
    # Engage dlr.url: the submission id the push answered (`<group>:<n>` → `<group>`).
    return str(payload.get("id", "")).split(":", 1)[0]


def _requests_for(ids, *, now_ts):
    """Load claimed deliveries with their event and webhook and build each request."""
    deliveries = list(
        Delivery.objects.filter(pk__in=ids).only(
            "id", "uuid", "event_id", "event_type", "webhook_id", "url", "endpoint", "wrapped", "attempts"
        )
    )
    payloads = dict(Event.objects.filter(pk__in={d.event_id for d in deliveries}).values_list("id", "payload"))
    webhooks = Webhook.objects.in_bulk({d.webhook_id for d in deliveries if d.webhook_id})
    jobs = []
    for d in deliveries:
        webhook = webhooks.get(d.webhook_id)
        payload = payloads.get(d.event_id) or {}
        request = render.build(
            webhook=webhook,
            url=webhook.uri if webhook is not None else d.url,
            event_type=d.event_type,
            payload=payload,
            wrapped=d.wrapped,
            delivery_id=d.uuid,
            key=_signing_key(d, webhook, payload),
            now=now_ts,
        )
        jobs.append((d, request))
    return jobs


def run(
    *, seconds=None, stop_when_idle=True, clock=timezone.now, client_factory=None, fan_out_limit=2000, should_stop=None
):
    """Deliver what is due for up to `seconds`; returns counts. With `stop_when_idle` it returns as
    soon as nothing is due and nothing is in flight (the beat task runs it every few seconds).

    Rows are claimed in large batches (up to WEBHOOK_BACKLOG, and 8 x the endpoint limit per
    endpoint) so one loop turn feeds many requests; the engine's semaphores do the pacing."""
    seconds = settings.WEBHOOK_WORKER_SECONDS if seconds is None else seconds
    per_endpoint = settings.WEBHOOK_ENDPOINT_CONCURRENCY
    backlog, endpoint_backlog = settings.WEBHOOK_BACKLOG, per_endpoint * 8
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    token = uuid.uuid4()
    engine = _Engine(
        client_factory or _client, timeout, settings.WEBHOOK_RESPONSE_LOG_BYTES, settings.WEBHOOK_CONCURRENCY
    )
    deadline = time.monotonic() + seconds
    claimed = {}  # endpoint -> rows claimed and not finished
    counts = {"events": 0, "attempts": 0, "delivered": 0}
    finished = []
    last_flush = last_fan_out = 0.0
    fan_out_more = True
    try:
        while True:
            pending = sum(claimed.values())
            accepting = time.monotonic() < deadline and not (should_stop and should_stop())
            got = 0
            if accepting and (fan_out_more or time.monotonic() - last_fan_out > 0.5):
                events, _ = fan_out(limit=fan_out_limit, now=clock())
                counts["events"] += events
                fan_out_more, last_fan_out = events == fan_out_limit, time.monotonic()
            if accepting and (backlog - pending >= backlog // 4 or pending == 0):
                busy = [e for e, n in claimed.items() if n >= endpoint_backlog]
                now = clock()
                ids = claim(limit=backlog - pending, busy=busy, per_endpoint=endpoint_backlog, now=now, token=token)
                got = len(ids)
                send_by = time.monotonic() + LEASE_SECONDS - 5
                for delivery, request in _requests_for(ids, now_ts=now.timestamp()):
                    claimed[delivery.endpoint] = claimed.get(delivery.endpoint, 0) + 1
                    outcome = Outcome(delivery.pk, delivery.attempts + 1, now, request, send_by=send_by)
                    engine.submit(delivery.endpoint, per_endpoint, outcome)
            pending = sum(claimed.values())
            if not pending and not finished:
                if got == 0 and not fan_out_more and (stop_when_idle or not accepting):
                    break
                if got == 0 and not fan_out_more:
                    time.sleep(0.5)
                if should_stop and should_stop():
                    break
                continue
            try:
                wait = 0.05 if got else 0.2
                while len(finished) < 1000:
                    endpoint, outcome = engine.results.get(timeout=wait)
                    claimed[endpoint] -= 1
                    finished.append(outcome)
                    wait = 0.002
            except queue.Empty:
                pass
            pending = sum(claimed.values())
            if finished and (len(finished) >= 500 or time.monotonic() - last_flush > 0.25 or not pending):
                counts["attempts"] += sum(1 for o in finished if not o.skipped)
                counts["delivered"] += record(finished, token=token, now=clock())
                finished = []
                last_flush = time.monotonic()
            if not accepting and not pending and not finished:
                break
    finally:
        engine.close()
    return counts


def replay(*, deliveries, clock=timezone.now):
    """Queue failed deliveries again with a fresh attempt budget; returns how many."""
    ids = [d.pk for d in deliveries if d.status == DeliveryStatus.FAILED]
    return Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=clock(),
        max_attempts=F("attempts") + settings.WEBHOOK_MAX_ATTEMPTS,
        updated_at=clock(),
    )
