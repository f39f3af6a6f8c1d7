"""The built-in carrier simulator: takes submissions like a supplier that deduplicates on the
client's message reference, then reports a delivery outcome after a delay through the same DLR
intake a real supplier's receipts use.

Settings (`SIMULATOR`): `delivery_ratio`, `dlr_delay_seconds`, `submit_latency_ms` (per chunk),
`refuse_ratio` (submissions refused outright: rejected and refunded), `failures` (the codes and
statuses of undelivered messages; by default the channel adapter's), `seed` (which submissions are
refused). One simulator serves every channel: the outcomes it reports are in the channel's own
vocabulary.

A message's outcome follows from the id the simulator gave it (as a carrier's outcome is a fact of
its own world), so the receipt it pushes and the answer to a later `lookup()` always agree, in
whichever process and however often either is asked."""

import hashlib
import random
import time
import uuid
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from messaging.pipeline import channels
from messaging.pipeline.connectors.base import SupplierStatus
from messaging.pipeline.models import SimulatedSubmission

RECEIPTS_TASK = "messaging.pipeline.tasks.simulate_receipts"

_RECORD = """
INSERT INTO sending_simulatedsubmission (message_id, supplier_message_id, attempts, created_at)
SELECT v.id, v.sid, 1, %s FROM unnest(%s::bigint[], %s::text[]) AS v(id, sid)
ON CONFLICT (message_id) DO UPDATE SET attempts = sending_simulatedsubmission.attempts + 1
RETURNING message_id, supplier_message_id
"""


class SimulatorConnector:
    # A message handed over twice is taken once (it deduplicates on our message id): safe to hand
    # a half-sent chunk over again after a crash. `lookup()` answers what it holds.
    idempotent = True

    def __init__(self, *, name="simulator", channel="sms", rate=None, options=None):
        conf = {**settings.SIMULATOR, **(options or {})}
        self.name, self.channel, self.rate = name, channel, rate
        self.ratio = conf["delivery_ratio"]
        self.delay = conf["dlr_delay_seconds"]
        self.latency = conf.get("submit_latency_ms", 0) / 1000
        self.refuse_ratio = conf.get("refuse_ratio", 0.0)
        self.delivered, failures = channels.get(channel).simulated_outcomes()
        self.failures = conf.get("failures") or failures
        self.random = random.Random(conf["seed"])  # noqa: S311 - simulation, not security

    def submit(self, messages):
        """A supplier message id per message (the first one it gave, for a resubmission), or None
        for a message it refuses."""
        wanted = {m.pk: uuid.uuid4().hex for m in messages if self.random.random() >= self.refuse_ratio}
        given = self._record(wanted) if wanted else {}
        if self.latency:
            # The carrier has taken the chunk; its answer is on the way. A sender that dies now has
            # sent messages it has no record of: the case resubmission must not double.
            time.sleep(self.latency)
        return [given.get(m.pk) for m in messages]

    def _record(self, wanted):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_RECORD, [timezone.now(), list(wanted), list(wanted.values())])
                return dict(cursor.fetchall())
        known = SimulatedSubmission.objects.filter(message_id__in=list(wanted))
        known.update(attempts=F("attempts") + 1)
        given = dict(known.values_list("message_id", "supplier_message_id"))
        SimulatedSubmission.objects.bulk_create(
            [
                SimulatedSubmission(message_id=pk, supplier_message_id=sid)
                for pk, sid in wanted.items()
                if pk not in given
            ],
            ignore_conflicts=True,
        )
        return dict(
            SimulatedSubmission.objects.filter(message_id__in=list(wanted)).values_list(
                "message_id", "supplier_message_id"
            )
        )

    def outcome_of(self, supplier_message_id):
        """(code, status) of the message the simulator gave this id: drawn from a hash of the id (the
        same in every process), delivered in `delivery_ratio` of cases."""
        digits = int.from_bytes(hashlib.blake2b(supplier_message_id.encode(), digest_size=8).digest())
        if (digits >> 32) / 2**32 < self.ratio:
            return self.delivered
        return self.failures[(digits & 0xFFFFFFFF) % len(self.failures)]

    def lookup(self, references):
        """What the simulator holds of each message (by our message id, the client reference): its
        id and, once the receipt delay has passed since it took the message, the outcome; None for
        a message it never took (or forgot after DLR_TIMEOUT_HOURS). Reads only, so asking twice
        changes nothing."""
        rows = SimulatedSubmission.objects.filter(message_id__in=[r.id for r in references])
        held = {
            pk: (sid, taken_at)
            for pk, sid, taken_at in rows.values_list("message_id", "supplier_message_id", "created_at")
        }
        settled_before = timezone.now() - timedelta(seconds=self.delay)
        answers = []
        for reference in references:
            if reference.id not in held:
                answers.append(None)
                continue
            sid, taken_at = held[reference.id]
            if taken_at > settled_before:
                answers.append(SupplierStatus(sid))  # taken, no outcome yet
                continue
            code, status = self.outcome_of(sid)
            answers.append(SupplierStatus(sid, status, code))
        return answers

    def schedule_receipts(self, supplier_ids):
        current_app.tasks[RECEIPTS_TASK].apply_async(
            args=[list(supplier_ids)], kwargs={"channel": self.channel, "supplier": self.name}, countdown=self.delay
        )
