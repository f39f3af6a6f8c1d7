"""Every recipient of a batch as the status pull, the report and the batch page read them: the
message rows, and the recipients refused before pricing that are kept compactly
(`RefusedNumbers`), merged in batch order as if each were a row.

A batch's positions 1..total are split between the two (every recipient is one or the other), so a
batch read in position order is a range of positions, and a run of batches is a run of such ranges:
pages of a batch, of a day or of the Engage messages are cut by position, never by OFFSET over two
tables. A refused recipient is a `RefusedRecipient`, which has the attributes the readers use of a
Message (`batch`, `index`, `mobile`, `status`, `units`, `charges`, `custom`, `iso`,
`submitted_at`, `delivered_at`, `state`, `sender`, `product_code`).
"""

import bisect
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import TruncDate

from messaging.pipeline.models import Batch, Message, RefusedNumbers, State


@dataclass(slots=True, eq=False)
class RefusedRecipient:
    batch: Batch
    index: int
    mobile: str
    iso: str
    custom: str
    sender: str
    product_code: str
    status: str
    status_code: str
    units: int
    length: int
    submitted_at: datetime
    charges: Decimal = Decimal(0)
    state: str = State.REJECTED
    delivered_at: datetime | None = None
    supplier_message_id: str = ""  # never handed to a supplier

    @property
    def public_id(self):
        return f"{self.batch.uuid}:{self.index}"

    @property
    def channel(self):
        return self.batch.channel


def expand(record, batch, lo=None, hi=None):
    """The recipients of one RefusedNumbers row whose positions are within [lo, hi]."""
    indexes = record.indexes
    start = 0 if lo is None else bisect.bisect_left(indexes, lo)
    end = len(indexes) if hi is None else bisect.bisect_right(indexes, hi)
    isos, customs = record.isos, record.customs
    return [
        RefusedRecipient(
            batch=batch,
            index=indexes[i],
            mobile=record.mobiles[i],
            iso=isos[i] if isos else "",
            custom=customs[i] if customs else "",
            sender=record.sender,
            product_code=record.product_code,
            status=record.status,
            status_code=record.status_code,
            units=record.units,
            length=record.length,
            submitted_at=record.submitted_at,
        )
        for i in range(start, end)
    ]


def _by_position(items):
    return sorted(items, key=lambda r: r.index)


# -- ranges of positions ---------------------------------------------------------------------


def _refused_in(parts, status=None):
    """{batch pk: refused recipients at positions lo..hi} for (batch, lo, hi) parts, one query."""
    batches = {b.pk: b for b, _, _ in parts}
    overlapping = reduce(or_, (Q(batch_id=b.pk, first_index__lte=hi, last_index__gte=lo) for b, lo, hi in parts))
    records = RefusedNumbers.objects.filter(overlapping)
    if status:
        records = records.filter(status=status)
    bounds = {b.pk: (lo, hi) for b, lo, hi in parts}
    found = {}
    for record in records:
        lo, hi = bounds[record.batch_id]
        found.setdefault(record.batch_id, []).extend(expand(record, batches[record.batch_id], lo, hi))
    return found


def ranges(parts, *, status=None):
    """The recipients at positions lo..hi of each (batch, lo, hi) in `parts` (each batch once), in
    that order: one query for the message rows and one for the refused ones, however many batches."""
    parts = [(b, lo, hi) for b, lo, hi in parts if lo <= hi]
    if not parts:
        return []
    batches = {b.pk: b for b, _, _ in parts}
    messages = Message.objects.filter(reduce(or_, (Q(batch_id=b.pk, index__range=(lo, hi)) for b, lo, hi in parts)))
    if status:
        messages = messages.filter(status=status)
    found = _refused_in(parts, status)
    for message in messages:
        message.batch = batches[message.batch_id]
        found.setdefault(message.batch_id, []).append(message)
    return [r for b, _, _ in parts for r in _by_position(found.get(b.pk, []))]


class BatchRecipients:
    """One batch's recipients in position order, optionally of one status: a sequence Django's and
    the API's paginators can cut (`count()`, slices)."""

    def __init__(self, batch, status=None):
        self.batch, self.status = batch, status or None

    def _messages(self):
        qs = Message.objects.filter(batch_id=self.batch.pk)
        return qs.filter(status=self.status) if self.status else qs

    def _refused(self):
        qs = RefusedNumbers.objects.filter(batch_id=self.batch.pk)
        return qs.filter(status=self.status) if self.status else qs

    def count(self):
        if not self.status:
            return self.batch.total
        return self._messages().count() + (self._refused().aggregate(n=Sum("count"))["n"] or 0)

    def __len__(self):
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            found = self[key : key + 1]
            if not found:
                raise IndexError(key)
            return found[0]
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        if stop <= start:
            return []
        if not self.status:  # every position is one recipient: the page is a range
            return ranges([(self.batch, start + 1, stop)])
        return self._filtered(start, stop - start)

    def _filtered(self, offset, size):
        """Recipients of one status at ranks offset.. of the merged order. The refused positions
        of that status are one list in memory (ten integers' worth of rows per 10,000); the message
        rows are counted by position in SQL, so the first position of the page is found by
        bisection without reading the rows before it."""
        positions = sorted(i for record in self._refused() for i in record.indexes)
        messages = self._messages()
        if not positions:
            return list(_with_batch(messages.order_by("index")[offset : offset + size], self.batch))
        if not messages.exists():
            first = positions[offset : offset + size]
            return ranges([(self.batch, first[0], first[-1])], status=self.status) if first else []
        lo, hi = 1, self.batch.total + 1  # smallest position p with rank(p) > offset
        while lo < hi:
            mid = (lo + hi) // 2
            if messages.filter(index__lte=mid).count() + bisect.bisect_right(positions, mid) > offset:
                hi = mid
            else:
                lo = mid + 1
        page_messages = list(_with_batch(messages.filter(index__gte=lo).order_by("index")[:size], self.batch))
        page_refused = positions[bisect.bisect_left(positions, lo) :][:size]
        last = max([m.index for m in page_messages] + page_refused[-1:])
        refused = _refused_in([(self.batch, lo, last)], self.status).get(self.batch.pk, [])
        return _by_position([*page_messages, *refused])[:size]


def _with_batch(messages, batch):
    for message in messages:
        message.batch = batch
        yield message


class BatchesRecipients:
    """The recipients of a run of batches (a day's, the Engage ones), batch after batch in `order`
    (`"id"` or `"-id"`) and each in position order. Which batches a page needs is found in SQL
    from a running sum of their totals, so a page never loads the other batches."""

    def __init__(self, batches, order="id"):
        self.batches, self.order = batches.order_by(order), order

    def count(self):
        return self.batches.aggregate(n=Sum("total"))["n"] or 0

    def __len__(self):
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            found = self[key : key + 1]
            if not found:
                raise IndexError(key)
            return found[0]
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        if stop <= start:
            return []
        # upto: the recipients of this batch and every batch before it.
        running = self.batches.annotate(upto=Window(Sum("total"), order_by=self.order))
        needed = running.filter(upto__gt=start, upto__lt=stop + F("total"), total__gt=0)
        parts = []
        for batch in needed:
            before = batch.upto - batch.total
            parts.append((batch, max(start - before, 0) + 1, min(stop - before, batch.total)))
        return ranges(parts)


# -- lookups ---------------------------------------------------------------------------------


def find(account, group, index, *, channel=None):
    """The recipient at `index` of the account's batch `group` (its uuid; of `channel`, when
    given), or None."""
    batches = Batch.objects.for_account(account).filter(uuid=group)
    batch = (batches.filter(channel=channel) if channel else batches).first()
    if batch is None or not 1 <= index <= batch.total:
        return None
    found = ranges([(batch, index, index)])
    return found[0] if found else None


def _refused_containing(account, field, value):
    """The account's RefusedNumbers rows whose `field` list holds `value` (candidates: the match is
    checked entry by entry). PostgreSQL answers from a GIN index; other databases scan."""
    qs = RefusedNumbers.objects.for_account(account).select_related("batch").order_by("batch_id", "first_index")
    if connection.vendor == "postgresql":
        return qs.filter(**{f"{field}__contains": [value]})
    return [r for r in qs if value in getattr(r, field)]


def matching(account, *, mobile=None, custom=None, limit=100):
    """The first `limit` recipients (in batch, then position order) sent to `mobile`, or else
    carrying the reference `custom`."""
    messages = Message.objects.for_account(account).select_related("batch").order_by("batch_id", "index")
    if mobile is not None:
        messages, field, attribute, value = messages.filter(mobile=mobile), "mobiles", "mobile", mobile
    else:
        messages, field, attribute, value = messages.filter(custom=custom), "customs", "custom", custom
    refused, enough_in = [], None
    for record in _refused_containing(account, field, value):  # in batch order
        if enough_in is not None and record.batch_id > enough_in:
            break  # a later batch: nothing in it comes before what was found
        refused.extend(r for r in expand(record, record.batch) if getattr(r, attribute) == value)
        if enough_in is None and len(refused) >= limit:
            enough_in = record.batch_id  # the batch's other rows may hold earlier positions
    merged = sorted([*messages[:limit], *refused], key=lambda r: (r.batch.pk, r.index))
    return merged[:limit]


# -- counts ----------------------------------------------------------------------------------


def status_counts(batch):
    """{status: recipients} of one batch."""
    counts = dict(
        Message.objects.filter(batch_id=batch.pk)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    for status, n in RefusedNumbers.objects.filter(batch_id=batch.pk).values_list("status").annotate(n=Sum("count")):
        counts[status] = counts.get(status, 0) + n
    return counts


def daily_counts(account, start, end):
    """{date: {status: recipients}} of the account's recipients submitted from `start` to `end`."""
    out = {}
    messages = (
        Message.objects.for_account(account)
        .filter(submitted_at__date__gte=start, submitted_at__date__lte=end)
        .annotate(day=TruncDate("submitted_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
    )
    refused = (
        RefusedNumbers.objects.for_account(account)
        .filter(submitted_at__date__gte=start, submitted_at__date__lte=end)
        .annotate(day=TruncDate("submitted_at"))
        .values("day", "status")
        .annotate(n=Sum("count"))
    )
    for row in [*messages, *refused]:
        day = out.setdefault(row["day"], {})
        day[row["status"]] = day.get(row["status"], 0) + row["n"]
    return out
