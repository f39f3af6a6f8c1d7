"""The dashboard's figures, all from the rollups: totals, series over time by channel, product,
sender, country and operator, delivery-time percentiles, top failure reasons and running campaigns."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone

from messaging.pipeline.models import Batch
from messaging.reports import settling, statuses, summary
from messaging.reports.models import LATENCY_EDGES, LATENCY_FIELDS, MessageRollup
from messaging.reports.rollups import zone

PERIODS = {"today": ("Today", 1), "7d": ("Last 7 days", 7), "30d": ("Last 30 days", 30)}
SERIES_TOP = 5  # senders / countries shown by name; the rest are "Other"
FAILURES_TOP = 8
DIMS = ("channel", "product_code", "sender", "iso", "operator")  # charted over time
# Delivered messages of a rollup row: its latency buckets count exactly those.
DELIVERED = sum((F(f) for f in LATENCY_FIELDS[1:]), F(LATENCY_FIELDS[0]))


@dataclass
class Totals:
    messages: int = 0
    units: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    cost: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)

    def add(self, row):
        self.messages += row["messages"]
        self.units += row["units"]
        self.delivered += row["delivered"]
        self.cost += row["cost"]
        self.refunds += row["refunds"]
        if row["pending"]:
            self.pending += row["messages"]
        else:
            self.failed += row["messages"] - row["delivered"]

    @property
    def spend(self):
        return self.cost - self.refunds

    @property
    def delivery_rate(self):
        """Delivered share of the messages with an outcome (None before any)."""
        final = self.delivered + self.failed
        return round(100 * self.delivered / final, 1) if final else None

    @property
    def pending_share(self):
        return round(100 * self.pending / self.messages, 1) if self.messages else 0


@dataclass
class Series:
    """Messages per time slot for each label, as Chart.js datasets and as a table."""

    title: str
    slots: list
    values: dict = field(default_factory=dict)  # label -> [count per slot]

    def chart(self):
        """The chart's data as JSON, for the canvas's data-values attribute."""
        return chart_json(self.slots, self.values)

    def rows(self):
        return [(slot, [self.values[k][i] for k in self.values]) for i, slot in enumerate(self.slots)]


def chart_json(labels, values):
    """Chart.js data (labels, one dataset per label of `values`) as JSON. It travels in an
    attribute: htmx drops <script> blocks from swapped fragments under the portal's config."""
    return json.dumps({"labels": labels, "datasets": [{"label": k, "data": v} for k, v in values.items()]})


def percentile(buckets, share):
    """The bound of the latency bucket holding the `share` quantile: "≤ 30 s" (None when empty)."""
    total = sum(buckets)
    if not total:
        return None
    running = 0
    for i, count in enumerate(buckets):
        running += count
        if running >= share * total:
            return label_of(i)
    return label_of(len(buckets) - 1)


def label_of(bucket):
    if bucket >= len(LATENCY_EDGES):
        return f"> {_duration(LATENCY_EDGES[-1])}"
    return f"≤ {_duration(LATENCY_EDGES[bucket])}"


def _duration(seconds):
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def period_range(account, period, now=None):
    _, days = PERIODS.get(period, PERIODS["7d"])
    end = summary.today(account, now)
    return end - timedelta(days=days - 1), end


def _top(counter, n):
    ranked = sorted(counter, key=lambda k: -counter[k])
    return ranked[:n]


def figures(account, period="7d", now=None, **filters):
    now = now or timezone.now()
    start, end = period_range(account, period, now)
    return {
        "period": period,
        "period_label": PERIODS.get(period, PERIODS["7d"])[0],
        **range_figures(account, start, end, hourly=period == "today", now=now, **filters),
    }


def range_figures(account, start, end, *, hourly=False, now=None, **filters):
    """The figures of local days [start, end] (by hour when `hourly`: a single day), over the
    rollups matching `filters` (rollup dimensions: sender, iso, ...)."""
    now = now or timezone.now()
    rows = list(
        summary.rollups(account, start, end, **filters)
        .values(
            "hour", "day", "channel", "product_code", "sender", "iso", "operator", "status", "status_code", "pending"
        )
        .annotate(
            messages=Sum("messages"),
            units=Sum("units"),
            cost=Sum("cost"),
            refunds=Sum("refunds"),
            delivered=Sum(DELIVERED),
            **{f: Sum(f) for f in LATENCY_FIELDS},
        )
        .order_by()
    )
    tz = zone(account.time_zone)
    if hourly:
        slots = [f"{h:02d}:00" for h in range(24)]
        slot_of = lambda r: r["hour"].astimezone(tz).hour  # noqa: E731
    else:
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        slots = [d.strftime("%d %b") for d in days]
        index = {d: i for i, d in enumerate(days)}
        slot_of = lambda r: index[r["day"]]  # noqa: E731

    totals = Totals()
    settling_totals = Totals()
    latency = [0] * len(LATENCY_FIELDS)
    failures = defaultdict(int)
    by = {
        dim: defaultdict(lambda: [0] * len(slots)) for dim in ("channel", "product_code", "sender", "iso", "operator")
    }
    volume = {dim: defaultdict(int) for dim in by}
    window = settling.window_start(now)
    for r in rows:
        totals.add(r)
        if r["hour"] >= window:
            settling_totals.add(r)
        for i, f in enumerate(LATENCY_FIELDS):
            latency[i] += r[f]
        if not r["pending"] and r["messages"] > r["delivered"]:
            failures[(r["status"], r["status_code"])] += r["messages"] - r["delivered"]
        slot = slot_of(r)
        for dim in by:
            by[dim][r[dim] or "—"][slot] += r["messages"]
            volume[dim][r[dim] or "—"] += r["messages"]

    series = []
    for dim, title in (
        ("channel", "channel"),
        ("product_code", "product"),
        ("sender", "sender"),
        ("iso", "country"),
        ("operator", "operator"),
    ):
        keep = _top(volume[dim], SERIES_TOP)
        values = {k: by[dim][k] for k in keep}
        rest = [k for k in by[dim] if k not in keep]
        if rest:
            values["Other"] = [sum(by[dim][k][i] for k in rest) for i in range(len(slots))]
        series.append((dim, Series(f"Messages by {title}", slots, values)))

    top_failures = [
        {"status": s, "code": c, "count": n, "explanation": statuses.explain(s, c)}
        for (s, c), n in sorted(failures.items(), key=lambda kv: -kv[1])[:FAILURES_TOP]
    ]
    return {
        "start": start,
        "end": end,
        "totals": totals,
        "settling": settling_totals,
        "series": series,
        "latency": {
            "p50": percentile(latency, 0.5),
            "p90": percentile(latency, 0.9),
            "p99": percentile(latency, 0.99),
            "chart": chart_json([label_of(i) for i in range(len(latency))], {"Delivered": latency}),
            "rows": [(label_of(i), n) for i, n in enumerate(latency)],
        },
        "failures": top_failures,
        "volume": volume,
    }


def operators(account, now=None):
    """The operators the account's messages of the last 30 days went to (the dashboard's filter)."""
    start, end = period_range(account, "30d", now)
    names = summary.rollups(account, start, end).exclude(operator="").values_list("operator", flat=True)
    return sorted(set(names.distinct().order_by()))


def running_campaigns(account, now=None, limit=10):
    """Batches of the settling window with messages still pending: progress from the rollups."""
    window = settling.window_start(now)
    per_batch = (
        MessageRollup.objects.for_account(account)
        .filter(hour__gte=window - timedelta(hours=1))
        .values("batch_id")
        .annotate(messages=Sum("messages"), delivered=Sum(DELIVERED))
        .order_by()
    )
    pending = dict(
        MessageRollup.objects.for_account(account)
        .filter(hour__gte=window - timedelta(hours=1), pending=True)
        .values("batch_id")
        .annotate(n=Sum("messages"))
        .order_by()
        .values_list("batch_id", "n")
    )
    running = {r["batch_id"]: r for r in per_batch if pending.get(r["batch_id"])}
    batches = Batch.objects.for_account(account).filter(pk__in=list(running)).order_by("-created_at")[:limit]
    out = []
    for batch in batches:
        r = running[batch.pk]
        done = r["messages"] - pending[batch.pk]
        out.append(
            {
                "batch": batch,
                "messages": r["messages"],
                "pending": pending[batch.pk],
                "delivered": r["delivered"],
                "done_percent": round(100 * done / r["messages"]) if r["messages"] else 100,
            }
        )
    return out
