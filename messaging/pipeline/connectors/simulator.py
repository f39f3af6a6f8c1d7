"""The built-in carrier simulator: takes submissions like a supplier that deduplicates on the
client's message reference, then reports a delivery outcome after a delay through the same DLR
intake a real supplier's receipts use.

Settings (`SIMULATOR`): `delivery_ratio`, `dlr_delay_seconds`, `submit_latency_ms` (per chunk),
`refuse_ratio` (submissions refused outright: rejected and refunded), `failures` (the DLR codes and
statuses of undelivered messages), `seed`."""

import random
import time
import uuid

from django.conf import settings
from django.db import connection
from django.utils import timezone

# Failure outcomes it draws from (DLR code, status), as catalogued.
FAILURES = [("001", "INVALID-SUB"), ("010", "ABSENT-SUB"), ("013", "MOB-OFF"), ("021", "EXPIRED"), ("034", "UNDELIV")]

_RECORD = """
INSERT INTO sending_simulatedsubmission (message_id, supplier_message_id, attempts, created_at)
SELECT v.id, v.sid, 1, %s FROM unnest(%s::bigint[], %s::text[]) AS v(id, sid)
ON CONFLICT (message_id) DO UPDATE SET attempts = sending_simulatedsubmission.attempts + 1
RETURNING message_id, supplier_message_id
"""


class SimulatorConnector:
    name = "simulator"
    # A message handed over twice is taken once: safe to resubmit after a crash.
    idempotent = True

    def __init__(self):
        conf = settings.SIMULATOR
        self.ratio = conf["delivery_ratio"]
        self.delay = conf["dlr_delay_seconds"]
        self.latency = conf.get("submit_latency_ms", 0) / 1000
        self.refuse_ratio = conf.get("refuse_ratio", 0.0)
        self.failures = conf.get("failures") or FAILURES
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
        from django.db.models import F

        from messaging.pipeline.models import SimulatedSubmission

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

    def outcome(self):
        if self.random.random() < self.ratio:
            return "000", "DELIVRD"
        return self.random.choice(self.failures)

    def schedule_receipts(self, supplier_ids):
        from messaging.pipeline.tasks import simulate_receipts

        simulate_receipts.apply_async(args=[list(supplier_ids)], countdown=self.delay)
