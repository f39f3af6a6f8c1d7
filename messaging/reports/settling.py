"""Which rollups may still change, recomputing them, and the recount check.

Receipts may arrive up to SETTLING_HOURS after a message was sent: hours in that window are
*settling* (the share of their messages still pending is shown with every figure) and beat
rebuilds them from the messages, so whatever a late receipt or a missed delta changed is
counted. Older hours are final."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.utils import timezone

from messaging.reports import rollups
from messaging.reports.models import DIMENSIONS, MEASURES, RollupCheck

log = logging.getLogger(__name__)
SAMPLE = 20  # differing keys kept on a check


def window_start(now=None):
    """The first instant whose hour is still settling."""
    now = now or timezone.now()
    return (now - timedelta(hours=settings.SETTLING_HOURS)).replace(minute=0, second=0, microsecond=0)


def is_settling(hour, now=None):
    return hour >= window_start(now) - timedelta(hours=1)


def settle_recent(now=None):
    start = window_start(now)
    written = rollups.rebuild(start=start)
    return {"since": start.isoformat(), "rows": written}


def _as_dict(key, measures):
    return {
        "key": {d: str(v) for d, v in zip(DIMENSIONS, key, strict=True)},
        "measures": None if measures is None else {m: str(v) for m, v in zip(MEASURES, measures, strict=True)},
    }


def check(span, now=None):
    """Recount [now - span, now) and record the result; differences are alerted."""
    now = now or timezone.now()
    start = (now - span).replace(minute=0, second=0, microsecond=0)
    compared, found = rollups.compare(start=start, end=now + timedelta(hours=1))
    sample = [
        {
            "key": _as_dict(key, None)["key"],
            "expected": _as_dict(key, want)["measures"] if want else None,
            "actual": _as_dict(key, have)["measures"] if have else None,
        }
        for key, want, have in found[:SAMPLE]
    ]
    for entry in sample:  # JSON-friendly numbers for the readers of the record
        for side in ("expected", "actual"):
            if entry[side]:
                entry[side] = {k: _number(v) for k, v in entry[side].items()}
    RollupCheck.objects.create(
        range_start=start, range_end=now, keys_compared=compared, differences=sample, difference_count=len(found)
    )
    if found:
        message = f"{len(found)} report rollups differ from a recount of the messages since {start:%Y-%m-%d %H:%M}"
        log.error(message, extra={"differences": sample[:5]})
        mail_admins("Report rollups differ from a recount", f"{message}. Rebuild: manage.py rebuild_rollups.")
    return {"compared": compared, "differences": len(found)}


def _number(text):
    return int(text) if text.lstrip("-").isdigit() else float(text)
