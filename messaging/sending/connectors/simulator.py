"""The built-in carrier simulator: accepts every submission, then reports a delivery outcome
after a delay through the same DLR intake a real supplier's receipts use."""

import random
import uuid

from django.conf import settings

# Failure outcomes it draws from (DLR code, status), as catalogued.
FAILURES = [("001", "INVALID-SUB"), ("010", "ABSENT-SUB"), ("013", "MOB-OFF"), ("021", "EXPIRED"), ("034", "UNDELIV")]


class SimulatorConnector:
    name = "simulator"

    def __init__(self):
        conf = settings.SIMULATOR
        self.ratio = conf["delivery_ratio"]
        self.delay = conf["dlr_delay_seconds"]
        self.random = random.Random(conf["seed"])  # noqa: S311 - simulation, not security

    def submit(self, messages):
        """Returns a supplier message id for each message."""
        return [uuid.uuid4().hex for _ in messages]

    def outcome(self):
        if self.random.random() < self.ratio:
            return "000", "DELIVRD"
        return self.random.choice(FAILURES)

    def schedule_receipts(self, supplier_ids):
        from messaging.sending.tasks import simulate_receipts

        simulate_receipts.apply_async(args=[list(supplier_ids)], countdown=self.delay)
