"""Message retention (docs/reports.md, "Retention"): whole months of messages older than
MESSAGE_RETENTION_DAYS are dropped, and bodies (text and content) of messages older than
MESSAGE_BODY_RETENTION_DAYS blanked; report rollups stay.

On PostgreSQL a month is one partition, detached and dropped (`messaging.pipeline.partitions`);
on SQLite the same months are deleted a chunk of rows at a time. The recipients a dropped month's
batches refused before pricing (`RefusedNumbers`) go with it; batches stay (they carry the
accepted request and answer, and rollups name them). Each step is written down as a
`RetentionRun`; the latest drop is the horizon before which rollups are never recounted
(`horizon()`, used by the rollup rebuild and check).
"""

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from messaging.pipeline import partitions
from messaging.pipeline.models import Message, RefusedNumbers, RetentionRun

log = logging.getLogger(__name__)

CHUNK = 10_000  # rows per UPDATE / DELETE statement where rows are touched one by one
LOCK = (7315, 1)  # session advisory lock: one retention run at a time


@dataclass(frozen=True)
class Month:
    start: datetime
    end: datetime
    rows: int  # PostgreSQL: the planner's estimate; SQLite: counted
    bytes: int = 0
    partition: str = ""


@dataclass
class Plan:
    now: datetime
    days: int
    body_days: int
    drop_before: datetime | None  # whole months ending at or before this are dropped
    months: list = field(default_factory=list)
    bodies_since: datetime | None = None  # where the last blanking stopped
    bodies_before: datetime | None = None

    @property
    def rows(self):
        return sum(m.rows for m in self.months)

    @property
    def bytes(self):
        return sum(m.bytes for m in self.months)


def minimum_days():
    """The shortest retention allowed: past the settling window (rebuilt from messages hourly),
    the rollup check's window (recounted daily) and the receipt timeout, with a day to spare, so
    nothing that still reads messages ever finds them gone."""
    return (
        max(
            math.ceil(settings.SETTLING_HOURS / 24),
            settings.ROLLUP_CHECK_DAYS,
            math.ceil(settings.DLR_TIMEOUT_HOURS / 24),
        )
        + 1
    )


def _days(name):
    days = getattr(settings, name)
    if days and days < minimum_days():
        raise ImproperlyConfigured(
            f"{name} is {days}: it must be 0 (keep everything) or at least {minimum_days()} days, past the "
            "report settling window, the rollup check and the receipt timeout."
        )
    return days


def plan(now=None):
    """What a run now would drop and blank, without changing anything."""
    now = now or timezone.now()
    days, body_days = _days("MESSAGE_RETENTION_DAYS"), _days("MESSAGE_BODY_RETENTION_DAYS")
    result = Plan(now=now, days=days, body_days=body_days, drop_before=None)
    if days:
        result.drop_before = partitions.month_start(now - timedelta(days=days))
        result.months = _months_before(result.drop_before)
    if body_days:
        last = RetentionRun.objects.filter(kind=RetentionRun.Kind.BODIES).order_by("-before").first()
        result.bodies_since = last.before if last else None
        result.bodies_before = now - timedelta(days=body_days)
        if result.bodies_since and result.bodies_since >= result.bodies_before:
            result.bodies_before = None  # nothing new to blank
    return result


def _months_before(drop_before):
    if partitions.supported():
        return [
            Month(p.start, p.end, p.rows, p.bytes, p.name)
            for p in partitions.partitions()
            if not p.is_default and p.end <= drop_before
        ]
    counts = (
        Message.objects.order_by()
        .filter(submitted_at__lt=drop_before)
        .annotate(month=TruncMonth("submitted_at", tzinfo=UTC))
        .values("month")
        .annotate(n=Count("id"))
    )
    found = []
    for row in counts:
        start = partitions.month_start(row["month"])
        found.append(Month(start, partitions.next_month(start), row["n"]))
    return sorted(found, key=lambda m: m.start)


def horizon():
    """Messages submitted before this are gone (None: nothing was ever dropped)."""
    run = RetentionRun.objects.filter(kind=RetentionRun.Kind.DROP).order_by("-before").first()
    return run.before if run else None


def clamp(start):
    """A recount's start moved up to the horizon: recounting hours whose messages were dropped
    would replace their rollups with nothing."""
    edge = horizon()
    if edge is not None and (start is None or start < edge):
        return edge
    return start


def run(now=None, *, dry_run=False):
    """Create the months ahead, blank old bodies, drop old months. Returns the plan and the
    `RetentionRun`s written (none on a dry run, or when another run holds the lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", LOCK)
            if not cursor.fetchone()[0]:
                log.info("message retention: another run is in progress")
                return plan(now), []
    try:
        if not dry_run:
            partitions.ensure(now)
        current = plan(now)
        if dry_run:
            return current, []
        done = [_drop(current, month) for month in current.months]
        if current.bodies_before:
            done.append(_blank(current))
        return current, done
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", LOCK)


def _drop(current, month):
    refused = RefusedNumbers.objects.filter(submitted_at__lt=month.end)
    if month.partition:
        rows = partitions.count(month.partition)  # exact, for the record; the estimate may be stale
        partitions.drop(partitions.Partition(month.partition, month.start, month.end, month.rows, month.bytes))
    else:
        rows = _in_chunks(Message.objects.filter(submitted_at__gte=month.start, submitted_at__lt=month.end), None)
    with transaction.atomic():
        refused.delete()
        entry = RetentionRun.objects.create(
            kind=RetentionRun.Kind.DROP,
            before=month.end,
            since=month.start,
            partition=month.partition,
            rows=rows,
            bytes=month.bytes,
            created_at=current.now,
        )
    log.info("message retention: dropped %s (%s rows, %s bytes)", month.partition or month.start, rows, month.bytes)
    return entry


def _blank(current):
    """Blank text and content of messages submitted in [bodies_since, bodies_before), walking
    the ids a chunk at a time (the primary key leads with the id) so no statement holds many row
    locks. Rows already dropped are not looked at."""
    since = max((t for t in (current.bodies_since, current.drop_before) if t is not None), default=None)
    scope = Message.objects.filter(submitted_at__lt=current.bodies_before)
    if since is not None:
        scope = scope.filter(submitted_at__gte=since)
    rows = _in_chunks(scope, {"text": "", "content": {}})
    entry = RetentionRun.objects.create(
        kind=RetentionRun.Kind.BODIES,
        before=current.bodies_before,
        since=current.bodies_since,
        rows=rows,
        created_at=current.now,
    )
    log.info("message retention: blanked %s bodies before %s", rows, current.bodies_before)
    return entry


def _in_chunks(scope, changes):
    """Update (`changes`) or delete (None) the rows of `scope` CHUNK ids at a time."""
    bounds = scope.order_by().aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return 0
    if changes is not None:
        scope = scope.filter(~Q(text="") | ~Q(content={}))
    done = 0
    for lo in range(bounds["lo"], bounds["hi"] + 1, CHUNK):
        chunk = scope.filter(id__gte=lo, id__lt=lo + CHUNK)
        with transaction.atomic():
            if changes is None:
                done += chunk.delete()[0]
            else:
                done += chunk.update(**changes)
    return done
