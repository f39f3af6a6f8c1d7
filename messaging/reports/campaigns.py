"""A campaign's (batch's) report from its rollups: counts per status, the delivery curve (share
delivered within each time since submission), failures by reason, the latency distribution,
cost and refunds; unique recipients counted when the batch was accepted."""

from django.db.models import Sum
from django.utils import timezone

from messaging.pipeline.models import Batch, Message, RefusedNumbers, State
from messaging.pipeline.sweep import CANCEL_BEFORE
from messaging.reports import statuses
from messaging.reports.dashboard import DELIVERED, Totals, chart_json, label_of, percentile
from messaging.reports.models import LATENCY_FIELDS, MessageRollup


def report(batch):
    rows = list(
        MessageRollup.objects.for_account(batch.account_id)
        .filter(batch_id=batch.pk)
        .values("status", "status_code", "pending")
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
    totals = Totals()
    latency = [0] * len(LATENCY_FIELDS)
    by_status = []
    for r in rows:
        if not r["messages"]:
            continue
        totals.add(r)
        for i, f in enumerate(LATENCY_FIELDS):
            latency[i] += r[f]
        by_status.append(
            {
                "status": r["status"],
                "code": r["status_code"],
                "pending": r["pending"],
                "count": r["messages"],
                "failed": not r["pending"] and r["delivered"] < r["messages"],
                "explanation": statuses.explain(r["status"], r["status_code"]),
            }
        )
    by_status.sort(key=lambda s: -s["count"])
    curve, running = [], 0
    for n in latency:
        running += n
        curve.append(round(100 * running / totals.messages, 1) if totals.messages else 0)
    labels = [label_of(i) for i in range(len(latency))]
    return {
        "totals": totals,
        "by_status": by_status,
        "failures": [s for s in by_status if s["failed"]],
        "unique_recipients": unique_recipients(batch),
        "latency": {
            "p50": percentile(latency, 0.5),
            "p90": percentile(latency, 0.9),
            "p99": percentile(latency, 0.99),
            "rows": list(zip(labels, latency, curve, strict=True)),
            "chart": chart_json(labels, {"Delivered": latency}),
            "curve": chart_json(labels, {"% delivered within": curve}),
        },
    }


def unique_recipients(batch):
    """Distinct numbers of the batch, the numbers refused before pricing included: counted when
    the batch was accepted (Batch.unique_recipients). A batch from before that was kept is
    counted once from its rows (one index range) and the figure stored: a batch never gains
    recipients."""
    if batch.unique_recipients is not None:
        return batch.unique_recipients
    count = _count_distinct(batch)
    Batch.objects.filter(pk=batch.pk, unique_recipients__isnull=True).update(unique_recipients=count)
    batch.unique_recipients = count
    return count


def _count_distinct(batch):
    rows = Message.objects.filter(batch_id=batch.pk).order_by().values("mobile").distinct()
    refused = {
        m
        for mobiles in RefusedNumbers.objects.filter(batch_id=batch.pk).values_list("mobiles", flat=True)
        for m in mobiles
    }
    if not refused:
        return rows.count()
    return len(set(rows.values_list("mobile", flat=True)) | refused)


def content(batch):
    """What the campaign sent: its first message's text and sender (the batch's first index, one
    row through its unique (batch, index) index), or None for a batch without rows."""
    return Message.objects.filter(batch_id=batch.pk).order_by("index").values("text", "sender", "channel").first()


def cancellable(batch):
    """A scheduled send can be cancelled until 5 minutes before it is due, while rows wait."""
    if batch.scheduled_at is None or timezone.now() > batch.scheduled_at - CANCEL_BEFORE:
        return False
    return Message.objects.filter(batch_id=batch.pk, state=State.SCHEDULED).exists()


def money(batch):
    """(charged, refunded, net) of a batch from its rollups: a cancelled schedule nets to zero."""
    sums = (
        MessageRollup.objects.for_account(batch.account_id)
        .filter(batch_id=batch.pk)
        .aggregate(cost=Sum("cost"), refunds=Sum("refunds"))
    )
    charged, refunded = sums["cost"] or 0, sums["refunds"] or 0
    return charged, refunded, charged - refunded
