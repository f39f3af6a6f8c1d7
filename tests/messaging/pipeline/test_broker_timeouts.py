"""The broker's visibility timeout outlasts everything a worker holds unacknowledged: the longest
countdown the code schedules plus the longest task run. A task held longer would be handed to a
second worker by Redis while the first still has it (docs/scaling.md)."""

import ast
from pathlib import Path

from django.conf import settings

from messaging.pipeline import lookups

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("accounts", "contacts", "messaging", "portal", "voice")


def _delayed_calls():
    """Every call in the application passing `countdown=` or `eta=`, as (module, source of the value)."""
    found = []
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg in ("countdown", "eta"):
                            found.append((str(path.relative_to(ROOT)), ast.unparse(keyword.value)))
    return found


def test_the_only_countdown_is_the_simulators_receipt_delay():
    # A new countdown or ETA must be added here, with its bound checked below.
    assert _delayed_calls() == [("messaging/pipeline/connectors/simulator.py", "self.delay")]
    beat_options = [entry.get("options", {}) for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert not [o for o in beat_options if "countdown" in o or "eta" in o]


def test_the_default_visibility_timeout_outlasts_every_hold():
    timeout = settings.BROKER_VISIBILITY_TIMEOUT
    assert timeout == 30 * 60  # unset in tests: the production default
    # Held before running: the receipt countdown (the settings refuse a longer one on Redis).
    assert settings.SIMULATOR["dlr_delay_seconds"] < timeout
    # Held while running: the longest runs are bounded by their own budgets.
    assert timeout > settings.WEBHOOK_WORKER_SECONDS + settings.WEBHOOK_TIMEOUT_SECONDS
    assert timeout > lookups.BUDGET_SECONDS
    # A 100,000-message batch at the bulk share of the default connector rate, alone on it, with
    # room for 13 more sharing the connector (docs/scaling.md): 14 x 125 s.
    rate = settings.CONNECTOR_RATES["default"] * (1 - settings.CONNECTOR_URGENT_RESERVE)
    assert 14 * 100_000 / rate < timeout
