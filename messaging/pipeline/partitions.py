"""Monthly partitions of the message table on PostgreSQL (docs/architecture.md, "Message
partitions"): what exists, creating months ahead, dropping a month whole.

`sending_message` is partitioned by RANGE of `submitted_at`, one partition per UTC month named
`sending_message_pYYYY_MM`, plus `sending_message_default` for rows dated outside every month (a
clock far off, a test's made-up date); `ensure()` moves those into a month of their own. On SQLite
(or a PostgreSQL table not yet converted) every function here answers as for a table without
partitions: `supported()` is False and the rest is a no-op.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

TABLE = "sending_message"
DEFAULT = f"{TABLE}_default"
# DDL on the parent waits for every open transaction on it, and every insert then waits for the
# DDL: give up quickly and let the next run try again rather than stall the accept path.
LOCK_TIMEOUT = "5s"

_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None for the default partition
    end: datetime | None
    rows: int  # the planner's estimate (exact counts would scan the month)
    bytes: int  # table, indexes and TOAST

    @property
    def is_default(self):
        return self.start is None


def month_start(moment):
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start):
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def name_of(start):
    return f"{TABLE}_p{start:%Y_%m}"


def supported():
    """Whether the message table is partitioned here (PostgreSQL after the migration)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def partitions():
    """Every partition, oldest month first, the default last."""
    if not supported():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0)::bigint,
                      pg_total_relation_size(c.oid)
                 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = %s::regclass""",
            [TABLE],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound, estimate, size in rows:
        match = _BOUNDS.search(bound or "")
        start, end = (datetime.fromisoformat(match[1]), datetime.fromisoformat(match[2])) if match else (None, None)
        found.append(Partition(name, start, end, int(estimate), int(size)))
    return sorted(found, key=lambda p: (p.is_default, p.start or datetime.max.replace(tzinfo=UTC)))


def count(name):
    """Exact rows of one partition (by a name `partitions()` gave)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
        return cursor.fetchone()[0]


def default_rows():
    """Rows in the default partition (exact: it should hold none)."""
    return count(DEFAULT) if supported() else 0


def ensure(now=None, ahead=None):
    """Create the current month and `ahead` months after it (MESSAGE_PARTITIONS_AHEAD), and a
    month for any row waiting in the default partition. Returns the names created."""
    if not supported():
        return []
    now = now or timezone.now()
    ahead = settings.MESSAGE_PARTITIONS_AHEAD if ahead is None else ahead
    wanted = [month_start(now)]
    for _ in range(ahead):
        wanted.append(next_month(wanted[-1]))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('month', submitted_at, 'UTC') FROM {DEFAULT}")  # noqa: S608
        stray = [month_start(row[0]) for row in cursor.fetchall()]
    existing = {p.start for p in partitions() if not p.is_default}
    created = []
    for start in sorted(set(wanted) | set(stray)):
        if start not in existing:
            _create(start, move=start in stray)
            created.append(name_of(start))
    return created


def _create(start, *, move):
    """One month's partition. Rows of that month already in the default partition would make
    PostgreSQL refuse it, so the default is detached, the month created and filled from it, and
    the default attached again, in one transaction."""
    end = next_month(start)
    name = name_of(start)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        if not move:
            cursor.execute(f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)", [start, end])
            return
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {DEFAULT}")
        cursor.execute(f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)", [start, end])
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE submitted_at >= %s AND submitted_at < %s RETURNING *) "  # noqa: S608
            f"INSERT INTO {TABLE} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {DEFAULT} DEFAULT")


def drop(partition):
    """Detach one month and drop it: its rows are gone at once, without a DELETE's row versions
    to vacuum. Returns the partition as it was."""
    if partition.is_default:
        raise ValueError("The default partition is never dropped.")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # Foreign keys are checked at commit; a month with checks still pending in this
        # transaction cannot be dropped, so run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
        cursor.execute(f"DROP TABLE {partition.name}")
    return partition
