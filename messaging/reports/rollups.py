"""Hourly message rollups, kept equal to the messages they count (docs/reports.md).

Every message is counted once, under its current status and code, marked pending until it is
final; so is every recipient refused before pricing, which has no message row (its batch's
RefusedNumbers records, counted under its refusal and destination). The pipeline reports each
change in bulk, never per message:

- `record_accepted(batch)`: a batch's rows just written (one GROUP BY over the batch), or
  `record_written(batch, …)` with the rows the caller holds (nothing read back);
- `record_changed(queryset, status=…, final=…)`: rows about to get one new status together (the
  supplier refused a chunk, a scheduled send was cancelled or released, receipts timed out),
  read under their row locks;
- `record_receipts(channel, moves, at)`: what a receipt batch moved, from the old and new values
  the receipt UPDATE returns.

Each call turns its rows into deltas per rollup key (minus the old key, plus the new) and writes
them with one INSERT … ON CONFLICT DO UPDATE. Moves that change no status (claiming, handing
to the supplier) change no key and cost nothing.

`rebuild()` recounts a range from the messages and replaces it; `compare()` recounts without
writing. On PostgreSQL both hold an account's advisory lock exclusively while writers hold it
shared, so a recount never interleaves with a half-applied change.
"""

import bisect
import functools
import itertools
import logging
from collections import Counter, defaultdict
from datetime import UTC, timedelta
from decimal import Decimal
from operator import itemgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Sum, Value, When
from django.db.models.lookups import LessThanOrEqual

from accounts.models import Account
from messaging.pipeline import channels, retention
from messaging.pipeline.models import Message, RefusedNumbers, State
from messaging.pipeline.status import Progress
from messaging.reports.models import DIMENSIONS, LATENCY_EDGES, LATENCY_FIELDS, MEASURES, MessageRollup

log = logging.getLogger(__name__)

CANCELLED = "DELETED"  # the status a cancelled scheduled message gets (pipeline.sweep.cancel_scheduled)
_CLOSED_STATES = (State.FINAL, State.REJECTED)
_DELIVERED_LEVELS = (Progress.DELIVERED, Progress.READ)
_LOCK_CLASS = 7314  # first key of the per-account advisory lock (any constant no one else uses)
_UPSERT_ROWS = 500


# --- keys ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def zone(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_hour(instant, tz):
    """(the instant the local hour of `instant` began, the local date). Subtracting the wall
    clock's minutes keeps the two 01:00 hours of a DST fall-back apart, and puts zones with
    half-hour offsets on their own hour boundaries."""
    local = instant.astimezone(tz)
    start = instant - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
    return start.astimezone(UTC), local.date()


def outcome(state, status, code):
    """The (status, code, pending) a message is counted under: pending until it is final."""
    return (status, code, state not in _CLOSED_STATES)


def refunded(channel, state, status, code):
    """Whether a message's charges went back to the customer: a cancelled scheduled send, or the
    channel's supplier refusal after payment (messaging.pipeline.dispatch.refund_refused). Failed
    receipts are not refunded."""
    if state != State.FINAL:
        return False
    if status == CANCELLED:
        return True
    refusal = channels.get(channel).supplier_refusal()
    return (status, code) == (refusal.status, refusal.code)


def latency_bucket(progress, submitted_at, delivered_at):
    """Index into LATENCY_EDGES of a delivered message's time to deliver; None when not delivered."""
    if progress not in _DELIVERED_LEVELS or delivered_at is None:
        return None
    return bisect.bisect_left(LATENCY_EDGES, (delivered_at - submitted_at).total_seconds())


class Deltas:
    """Signed changes per rollup key, summed before they are written."""

    def __init__(self):
        self.rows = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0), 0] + [0] * len(LATENCY_FIELDS))

    def add(self, key, sign, *, messages, units, cost, refunds, latency=None):
        """`latency` (a bucket index) marks the messages delivered: they count in the bucket and
        in `delivered_units`."""
        row = self.rows[key]
        row[0] += sign * messages
        row[1] += sign * units
        row[2] += sign * cost
        row[3] += sign * refunds
        if latency is not None:
            row[4] += sign * units
            row[5 + latency] += sign * messages

    def nonzero(self):
        return {key: row for key, row in self.rows.items() if any(row)}


class Zones:
    """Accounts' time zones, read once per call (one query for all accounts in it)."""

    def __init__(self, account_ids=()):
        self.zones = {}
        self._load(account_ids)
        self._hours = {}

    def _load(self, account_ids):
        ids = set(account_ids) - set(self.zones)
        if not ids:  # building even an empty query costs a push more than its rollups do
            return
        found = dict(Account.objects.filter(pk__in=ids).values_list("pk", "time_zone"))
        self.zones.update({pk: zone(found.get(pk)) for pk in ids})

    def hour(self, account_id, instant):
        cached = self._hours.get((account_id, instant))
        if cached is None:
            if account_id not in self.zones:
                self._load([account_id])
            cached = self._hours[(account_id, instant)] = local_hour(instant, self.zones[account_id])
        return cached


def _key(zones, account_id, submitted_at, channel, product_code, sender, template_id, batch_id, iso, operator, *result):
    """`result` is what `outcome()` gives: status, code, pending."""
    hour, day = zones.hour(account_id, submitted_at)
    return (account_id, hour, day, channel, product_code, sender, template_id, batch_id, iso, operator, *result)


# --- the pipeline's calls ----------------------------------------------------------------------


def _refused_groups(records):
    """The groups a query of message rows would give for RefusedNumbers records (recipients
    refused before pricing, kept without a row of their own): one per record and destination."""
    for record in records:
        isos = Counter(record.isos) if record.isos else {"": record.count}
        for iso, n in isos.items():
            yield {
                "account_id": record.account_id,
                "submitted_at": record.submitted_at,
                "channel": record.batch.channel,
                "product_code": record.product_code,
                "sender": record.sender,
                "template_id": "",
                "batch_id": record.batch_id,
                "iso": iso,
                "operator": "",  # refused before pricing: no operator looked up
                "state": State.REJECTED,
                "status": record.status,
                "status_code": record.status_code,
                "latency": -1,
                "n": n,
                "units_sum": n * record.units,
                "charges_sum": Decimal(0),
            }


def record_accepted(batch):
    """Count a batch's rows just written, and its recipients refused before pricing (call in the
    transaction that wrote them)."""
    groups = (
        Message.objects.filter(batch_id=batch.pk)
        .order_by()
        .values("channel", "product_code", "sender", "template_id", "iso", "operator", "state", "status", "status_code")
        .annotate(n=Count("id"), units_sum=Sum("units"), charges_sum=Sum("charges"))
    )
    groups = list(groups)
    submitted_at = Message.objects.filter(batch_id=batch.pk).values_list("submitted_at", flat=True).first()
    refused = list(_refused_groups(RefusedNumbers.objects.filter(batch_id=batch.pk).select_related("batch")))
    groups += refused
    if not groups:
        return
    submitted_at = submitted_at or refused[0]["submitted_at"]
    zones = Zones([batch.account_id])
    deltas = Deltas()
    for g in groups:
        key = _key(
            zones,
            batch.account_id,
            submitted_at,
            g["channel"],
            g["product_code"],
            g["sender"],
            g["template_id"],
            batch.pk,
            g["iso"],
            g["operator"],
            *outcome(g["state"], g["status"], g["status_code"]),
        )
        charges = g["charges_sum"] or Decimal(0)
        refunds = charges if refunded(g["channel"], g["state"], g["status"], g["status_code"]) else Decimal(0)
        deltas.add(key, +1, messages=g["n"], units=g["units_sum"] or 0, cost=charges, refunds=refunds)
    apply(deltas)


def record_written(batch, *, columns, rows, refused, product_code, submitted_at, into=None):
    """`record_accepted` for the caller that holds what it just wrote: `rows` are message tuples in
    `columns` order, `refused` quote's `unpriced` entries. Grouped in memory, so the hot path (a
    push) reads nothing back; the counts are the ones the GROUP BY over the batch would give.
    With `into` (a Deltas), the counts are added to it for the caller to `apply()` with others
    (the batches committed together: one upsert for all of them)."""
    at = {name: i for i, name in enumerate(columns)}
    names = ("sender", "template_id", "iso", "operator", "state", "status", "status_code")
    present = [name for name in names if name in at]
    # Rows counted by their distinct (dimensions, units, charges) in C (Counter over an
    # itemgetter): a 100,000-row batch has a handful, and the sums are a product per group.
    values = itemgetter(*(at[name] for name in present), at["units"], at["charges"])
    sums = defaultdict(lambda: [0, 0, Decimal(0)])
    for found, n in Counter(map(values, rows)).items():
        given = dict(zip(present, found, strict=False))
        group = sums[tuple(given.get(name, "") for name in names)]
        units, charges = found[-2:]
        group[0] += n
        group[1] += n * (units or 0)
        group[2] += n * (charges or Decimal(0))
    for _index, _mobile, iso, _custom, sender, units, _length, status, code in refused:
        group = sums[(sender, "", iso, "", State.REJECTED, status, code)]  # no operator looked up
        group[0] += 1
        group[1] += units
    if not sums:
        return
    zones = Zones()
    zones.zones[batch.account_id] = zone(batch.account.time_zone)  # the account is loaded: no query
    deltas = Deltas() if into is None else into
    for (sender, template_id, iso, operator, state, status, code), (n, units, charges) in sums.items():
        key = _key(
            zones,
            batch.account_id,
            submitted_at,
            batch.channel,
            product_code,
            sender,
            template_id,
            batch.pk,
            iso,
            operator,
            *outcome(state, status, code),
        )
        refunds = charges if refunded(batch.channel, state, status, code) else Decimal(0)
        deltas.add(key, +1, messages=n, units=units, cost=charges, refunds=refunds)
    if into is None:
        apply(deltas)


def record_changed(moving, *, status, code=None, final, refund=False, lock=False):
    """Messages the caller's next UPDATE (in the same transaction) gives `status` and `code`
    (None: each keeps its code), and makes final when `final`; `refund` says whether their
    charges go back. `moving` matches what that UPDATE moves; the rows must be locked first,
    by the caller or here (`lock`), so nothing else moves them in between."""
    if lock:
        list(moving.select_for_update().values_list("pk", flat=True))
    groups = list(
        moving.order_by()
        .values(
            "account_id",
            "submitted_at",
            "channel",
            "product_code",
            "sender",
            "template_id",
            "batch_id",
            "iso",
            "operator",
            "state",
            "status",
            "status_code",
        )
        .annotate(n=Count("id"), units_sum=Sum("units"), charges_sum=Sum("charges"))
    )
    if not groups:
        return
    zones = Zones(g["account_id"] for g in groups)
    deltas = Deltas()
    for g in groups:
        new_state = State.FINAL if final else g["state"]
        new_code = g["status_code"] if code is None else code
        dims = (g["channel"], g["product_code"], g["sender"], g["template_id"], g["batch_id"], g["iso"], g["operator"])
        charges = g["charges_sum"] or Decimal(0)
        amounts = {"messages": g["n"], "units": g["units_sum"] or 0, "cost": charges}
        was_refunded = refunded(g["channel"], g["state"], g["status"], g["status_code"])
        old_key = _key(
            zones, g["account_id"], g["submitted_at"], *dims, *outcome(g["state"], g["status"], g["status_code"])
        )
        new_key = _key(zones, g["account_id"], g["submitted_at"], *dims, *outcome(new_state, status, new_code))
        deltas.add(old_key, -1, refunds=charges if was_refunded else 0, **amounts)
        deltas.add(new_key, +1, refunds=charges if refund else 0, **amounts)
    apply(deltas)


def record_receipts(channel, moves, at):
    """Messages a receipt batch moved: `moves` is a list of (rows, status, code, level), each
    row carrying the message's values before the move (`old_*`) and its dimensions."""
    rows = [row for batch_rows, *_ in moves for row in batch_rows]
    if not rows:
        return
    zones = Zones(r.account_id for r in rows)
    deltas = Deltas()
    final_levels = {Progress.DELIVERED, Progress.READ, Progress.FAILED}
    for batch_rows, status, code, level in moves:
        for r in batch_rows:
            new_state = State.FINAL if level in final_levels else r.old_state
            new_delivered_at = (r.at or at) if level in final_levels else r.old_delivered_at
            old = outcome(r.old_state, r.old_status, r.old_status_code)
            new = outcome(new_state, status, code)
            old_latency = latency_bucket(r.old_progress, r.submitted_at, r.old_delivered_at)
            new_latency = latency_bucket(level, r.submitted_at, new_delivered_at)
            old_refund = refunded(channel, r.old_state, r.old_status, r.old_status_code)
            new_refund = refunded(channel, new_state, status, code)
            if old == new and old_latency == new_latency and old_refund == new_refund:
                continue  # still pending (a progress receipt): no key changes
            dims = (channel, r.product_code, r.sender, r.template_id, r.batch_id, r.iso, r.operator)
            charges = r.charges or Decimal(0)
            amounts = {"messages": 1, "units": r.units, "cost": charges}
            old_key = _key(zones, r.account_id, r.submitted_at, *dims, *old)
            new_key = _key(zones, r.account_id, r.submitted_at, *dims, *new)
            deltas.add(old_key, -1, refunds=charges if old_refund else 0, latency=old_latency, **amounts)
            deltas.add(new_key, +1, refunds=charges if new_refund else 0, latency=new_latency, **amounts)
    apply(deltas)


# --- writing ---------------------------------------------------------------------------------

_COLUMNS = (*DIMENSIONS, *MEASURES)


@functools.cache
def _upsert_head():
    table = MessageRollup._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    target = ", ".join(connection.ops.quote_name(c) for c in DIMENSIONS)
    sums = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in MEASURES)
    head = f"INSERT INTO {table} ({quoted}) VALUES "  # noqa: S608 - model column names
    return head, f" ON CONFLICT ({target}) DO UPDATE SET {sums}"


@functools.cache
def _fields():
    by_column = {f.column: f for f in MessageRollup._meta.concrete_fields}
    return tuple(by_column[c] for c in _COLUMNS)


def lock_accounts(account_ids, *, exclusive=False):
    """Writers of an account's rollups share its lock; a recount takes it alone (PostgreSQL;
    SQLite has one writer at a time anyway). Held until the transaction ends."""
    if connection.vendor != "postgresql" or not account_ids:
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {function}(%s, a) FROM (SELECT a FROM unnest(%s::int[]) AS a ORDER BY a) AS locks",  # noqa: S608
            [_LOCK_CLASS, sorted(set(account_ids))],
        )


def apply(deltas):
    """Write summed deltas: one upsert per 500 keys, in key order (writers lock rows in the
    same order, so two of them never deadlock on each other)."""
    rows = deltas.nonzero()
    if not rows:
        return
    ordered = sorted(rows.items())
    # No savepoint inside a caller's transaction: a failure here fails the caller's work anyway.
    with transaction.atomic(savepoint=False):
        lock_accounts({key[0] for key, _ in ordered})
        with connection.cursor() as cursor:
            for start in range(0, len(ordered), _UPSERT_ROWS):
                chunk = ordered[start : start + _UPSERT_ROWS]
                if connection.vendor == "postgresql":
                    columns = zip(*((*key, *measures) for key, measures in chunk), strict=True)
                    cursor.execute(_upsert_columns(), [list(column) for column in columns])
                else:
                    cursor.execute(*_upsert_rows(chunk))


@functools.cache
def _upsert_columns():
    """PostgreSQL's upsert with one array per column, in key order: the same short statement
    for any number of keys (psycopg parses a statement of a thousand placeholders on every
    call, which cost a grouped push more than the upsert itself)."""
    head, tail = _upsert_head()
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in _fields())
    names = ", ".join(f"c{i}" for i in range(len(_COLUMNS)))
    select = f"SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS given({names}, n) ORDER BY n"  # noqa: S608 - model column types
    return head.removesuffix("VALUES ") + select + tail


def _upsert_rows(chunk):
    """The upsert as one multi-row VALUES (databases without arrays), each value prepared by
    its field."""
    head, tail = _upsert_head()
    fields = _fields()
    placeholders = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    params = []
    for key, measures in chunk:
        values = (*key, *measures)
        params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True))
    return head + ", ".join([placeholders] * len(chunk)) + tail, params


# --- recounting ----------------------------------------------------------------------------


def _latency_case():
    took = ExpressionWrapper(F("delivered_at") - F("submitted_at"), output_field=DurationField())
    buckets = [
        When(LessThanOrEqual(took, Value(timedelta(seconds=edge), output_field=DurationField())), then=Value(i))
        for i, edge in enumerate(LATENCY_EDGES)
    ]
    delivered = SqlCase(*buckets, default=Value(len(LATENCY_EDGES)), output_field=IntegerField())
    return SqlCase(
        When(progress__in=_DELIVERED_LEVELS, delivered_at__isnull=False, then=delivered),
        default=Value(-1),
        output_field=IntegerField(),
    )


def recount(*, account_ids=None, start=None, end=None):
    """What the rollups of hours in [start, end) should hold, counted from the messages:
    {key: [measures]} (keys with no messages left out)."""
    messages = Message.objects.order_by()
    if account_ids is not None:
        messages = messages.filter(account_id__in=list(account_ids))
    # A message's local hour begins at most an hour before it was submitted.
    if start is not None:
        messages = messages.filter(submitted_at__gte=start)
    if end is not None:
        messages = messages.filter(submitted_at__lt=end + timedelta(hours=1))
    groups = (
        messages.annotate(latency=_latency_case())
        .values(
            "account_id",
            "submitted_at",
            "channel",
            "product_code",
            "sender",
            "template_id",
            "batch_id",
            "iso",
            "operator",
            "state",
            "status",
            "status_code",
            "latency",
        )
        .annotate(n=Count("id"), units_sum=Sum("units"), charges_sum=Sum("charges"))
    )
    refused = RefusedNumbers.objects.order_by().select_related("batch")
    if account_ids is not None:
        refused = refused.filter(account_id__in=list(account_ids))
    if start is not None:
        refused = refused.filter(submitted_at__gte=start)
    if end is not None:
        refused = refused.filter(submitted_at__lt=end + timedelta(hours=1))
    deltas = Deltas()
    zones = Zones(account_ids or ())
    for g in itertools.chain(groups.iterator(chunk_size=5000), _refused_groups(refused.iterator(chunk_size=100))):
        dims = (g["channel"], g["product_code"], g["sender"], g["template_id"], g["batch_id"], g["iso"], g["operator"])
        key = _key(
            zones, g["account_id"], g["submitted_at"], *dims, *outcome(g["state"], g["status"], g["status_code"])
        )
        if (start is not None and key[1] < start) or (end is not None and key[1] >= end):
            continue
        charges = g["charges_sum"] or Decimal(0)
        refunds = charges if refunded(g["channel"], g["state"], g["status"], g["status_code"]) else Decimal(0)
        latency = g["latency"] if g["latency"] >= 0 else None
        deltas.add(key, +1, messages=g["n"], units=g["units_sum"] or 0, cost=charges, refunds=refunds, latency=latency)
    return deltas.nonzero()


def stored(*, account_ids=None, start=None, end=None):
    """The rollups of hours in [start, end) as {key: [measures]} (all-zero rows left out)."""
    rows = MessageRollup.objects.order_by()
    if account_ids is not None:
        rows = rows.filter(account_id__in=list(account_ids))
    if start is not None:
        rows = rows.filter(hour__gte=start)
    if end is not None:
        rows = rows.filter(hour__lt=end)
    found = {}
    for values in rows.values_list(*DIMENSIONS, *MEASURES).iterator(chunk_size=5000):
        key, measures = values[: len(DIMENSIONS)], list(values[len(DIMENSIONS) :])
        if any(measures):
            found[tuple(key)] = measures
    return found


def _same(a, b):
    cent = Decimal("0.0001")
    return all(Decimal(x).quantize(cent) == Decimal(y).quantize(cent) for x, y in zip(a, b, strict=True))


def differences(expected, actual):
    """Keys whose measures differ, as (key, expected, actual) with None for a missing side."""
    zero = [0] * len(MEASURES)
    found = []
    for key in sorted(set(expected) | set(actual), key=str):
        want, have = expected.get(key), actual.get(key)
        if not _same(want or zero, have or zero):
            found.append((key, want, have))
    return found


def _accounts_in_range(start, end):
    messages = Message.objects.order_by()
    refused = RefusedNumbers.objects.order_by()
    rollups = MessageRollup.objects.order_by()
    if start is not None:
        messages, rollups = messages.filter(submitted_at__gte=start), rollups.filter(hour__gte=start)
        refused = refused.filter(submitted_at__gte=start)
    if end is not None:
        messages = messages.filter(submitted_at__lt=end + timedelta(hours=1))
        refused = refused.filter(submitted_at__lt=end + timedelta(hours=1))
        rollups = rollups.filter(hour__lt=end)
    ids = set(messages.values_list("account_id", flat=True).distinct())
    ids |= set(refused.values_list("account_id", flat=True).distinct())
    ids |= set(rollups.values_list("account_id", flat=True).distinct())
    return sorted(ids)


def compare(*, account_ids=None, start=None, end=None):
    """Recount and compare without writing: (keys compared, differences). Hours before the
    retention horizon are left out: their messages are gone, their rollups are all that is left."""
    start = retention.clamp(start)
    compared, found = 0, []
    for account_id in account_ids if account_ids is not None else _accounts_in_range(start, end):
        with transaction.atomic():
            lock_accounts([account_id], exclusive=True)
            expected = recount(account_ids=[account_id], start=start, end=end)
            actual = stored(account_ids=[account_id], start=start, end=end)
        compared += len(set(expected) | set(actual))
        found.extend(differences(expected, actual))
    return compared, found


def rebuild(*, account_ids=None, start=None, end=None):
    """Replace the rollups of hours in [start, end) with a recount, one account per transaction.
    Returns the number of rollup rows written. Never before the retention horizon (`compare`)."""
    start = retention.clamp(start)
    written = 0
    for account_id in account_ids if account_ids is not None else _accounts_in_range(start, end):
        with transaction.atomic():
            lock_accounts([account_id], exclusive=True)
            expected = recount(account_ids=[account_id], start=start, end=end)
            old = MessageRollup.objects.filter(account_id=account_id)
            if start is not None:
                old = old.filter(hour__gte=start)
            if end is not None:
                old = old.filter(hour__lt=end)
            old.delete()
            MessageRollup.objects.bulk_create(
                (
                    MessageRollup(**dict(zip(_COLUMNS, (*key, *measures), strict=True)))
                    for key, measures in expected.items()
                ),
                batch_size=1000,
            )
            written += len(expected)
    return written
