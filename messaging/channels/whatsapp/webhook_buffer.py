"""The Cloud API webhook's intake buffer: answer fast, apply in batches.

The provider sends one webhook per status (a 1,000 msg/s number means ~3,000 webhooks/s for sent,
delivered and read). Applying each in its own request costs a transaction, several UPDATEs and
an outbox write per webhook; here a POST costs a signature check and one INSERT:

- `accept()` checks `X-Hub-Signature-256` on the raw body (401 and nothing stored otherwise),
  stores the raw body in `WebhookIntake` and commits before the 200, so a crash after the answer
  loses nothing (and one before it makes the provider retry);
- `apply_pending()` claims the oldest rows, applies them in one transaction and deletes them in
  it: inbound messages, template reviews and preferences per body as before, every status of
  the batch together (`intake.apply_statuses`: forward-only, in arrival order, one query set).
  A failure rolls the whole batch back into the buffer; a row is applied exactly once, so its
  events are written once. One applier runs at a time (a transaction-scoped advisory lock), so
  two never lock the same messages or rollup rows in different orders.

Who answers the POST: the edge server in production (webhook_edge.py: the same parse, check
and store, on an event loop); gunicorn's `webhook_wsgi` and the Django view as the fallback.

Who applies: the `whatsapp.apply_intake` task, nudged by `accept()` (at most every
NUDGE_SECONDS per process) and put on a worker by beat every 2 s as the safety net.
"""

import json
import logging
import os
import queue
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction

from messaging.channels.whatsapp import intake
from messaging.channels.whatsapp.models import WebhookIntake

log = logging.getLogger(__name__)

BATCH_ROWS = 1000
NUDGE_SECONDS = 0.5
_last_nudge = [0.0]


class Refused(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


BAD_SIGNATURE = "Invalid X-Hub-Signature-256."
NOT_STORED = "The webhook could not be stored; retry."


def accept(body, signature, grouped=False):
    """Verify and store a webhook body; raises Refused(status, message) for a bad one.
    `grouped`: the server runs requests on threads, so concurrent bodies share one INSERT and
    one commit (`_GroupWriter`)."""
    check(parse(body), body, signature)
    if grouped:
        _writer().store(body)
    else:
        store([body])
    _nudge()


def parse(body):
    """The webhook object a body holds; Refused(400) when it is not one."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "The body is not JSON.") from None
    if not isinstance(payload, dict):
        raise Refused(400, "The body is not a webhook object.")
    return payload


def check(payload, body, signature):
    """Refused(401) unless `body` is signed with the app secret of the numbers it names."""
    try:
        intake.verify(payload, body, signature)
    except intake.BadSignature:
        raise Refused(401, BAD_SIGNATURE) from None


def store(bodies):
    """INSERT the bodies in one statement; autocommit, so they are durable when this returns
    (Refused(503) when the database cannot be reached, even after reconnecting once)."""
    table = WebhookIntake._meta.db_table
    if connection.vendor == "postgresql":
        sql = f"INSERT INTO {table} (body, received_at) SELECT unnest(%s::bytea[]), CURRENT_TIMESTAMP"  # noqa: S608
        params = [bodies]
    else:
        sql = f"INSERT INTO {table} (body, received_at) VALUES " + ", ".join(["(%s, CURRENT_TIMESTAMP)"] * len(bodies))  # noqa: S608
        params = bodies
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            return
        except (OperationalError, InterfaceError):
            # A persistent connection the database dropped (restart, failover): reconnect once.
            connection.close()
            if attempt == 2:
                raise Refused(503, NOT_STORED) from None


class _GroupWriter:
    """One thread per process that stores what the request threads hand it: every body waiting
    goes into one INSERT and one commit, and each request is answered only after that commit.
    A commit waits for the disk; sharing it lets a few connections carry thousands of webhooks
    a second, and the process holds one database connection for them instead of one per thread."""

    MAX_GROUP = 500
    WAIT_SECONDS = 10

    def __init__(self):
        self.queue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="whatsapp-intake-writer", daemon=True).start()

    def store(self, body):
        item = {"body": body, "done": threading.Event(), "error": None}
        self.queue.put(item)
        if not item["done"].wait(self.WAIT_SECONDS) or item["error"]:
            raise Refused(503, NOT_STORED)

    def _run(self):
        while True:
            group = [self.queue.get()]
            while len(group) < self.MAX_GROUP:
                try:
                    group.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                store([item["body"] for item in group])
            except Exception as error:  # noqa: BLE001 - every waiting request is answered 503
                log.warning("whatsapp intake store failed", exc_info=True)
                for item in group:
                    item["error"] = error
            for item in group:
                item["done"].set()


_writers = {}
_writers_lock = threading.Lock()


def _writer():
    pid = os.getpid()  # a forked worker starts its own thread
    with _writers_lock:
        if pid not in _writers:
            _writers[pid] = _GroupWriter()
        return _writers[pid]


def _nudge():
    if nudge_due():
        send_nudge()


def nudge_due():
    """Whether this process should nudge the applier now (at most every NUDGE_SECONDS; always
    when tasks run eagerly); counts as the nudge when it says yes."""
    eager = getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    now = time.monotonic()
    if not eager and now - _last_nudge[0] < NUDGE_SECONDS:
        return False
    _last_nudge[0] = now
    return True


def send_nudge():
    """Queue the applier's task (a broker call: the edge server makes it off its event loop)."""
    from messaging.channels.whatsapp import tasks

    try:
        tasks.apply_intake.apply_async(expires=10)
    except Exception:  # noqa: BLE001 - the broker being down must not refuse a stored webhook
        log.warning("whatsapp intake nudge not sent; beat's run applies the buffer", exc_info=True)


def _claim(limit):
    """Delete and return the oldest rows' bodies (rolled back with the caller's transaction)."""
    table = WebhookIntake._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT %s "  # noqa: S608
                "FOR UPDATE SKIP LOCKED) RETURNING id, body",
                [limit],
            )
            rows = sorted(cursor.fetchall())
    else:
        rows = list(WebhookIntake.objects.order_by("id").values_list("id", "body")[:limit])
        WebhookIntake.objects.filter(id__in=[r[0] for r in rows]).delete()
    return [bytes(body) for _id, body in rows]


def _only_applier():
    return intake.applier_lock(wait=False)


def apply_pending(limit=BATCH_ROWS):
    """Apply up to `limit` buffered webhooks in one transaction; returns how many were taken,
    or None when another applier holds the buffer."""
    with transaction.atomic():
        if not _only_applier():
            return None
        bodies = _claim(limit)
        statuses = []
        for body in bodies:
            payload = json.loads(body)
            numbers = intake.numbers_named(payload)  # verified on the way in
            intake.process(payload, numbers, statuses=statuses)
        intake.apply_statuses(statuses)
    return len(bodies)


def drain(seconds=50.0, limit=BATCH_ROWS):
    """Apply batches until the buffer is empty, another applier has it, or `seconds` passed."""
    end, total = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        taken = apply_pending(limit)
        if not taken:
            break
        total += taken
    return total


def pending_count():
    return WebhookIntake.objects.count()
