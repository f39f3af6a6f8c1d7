"""Staff figures across every customer: the same rollups without the account filter, and per
supplier throughput, delivery latency and failure rates (from the messages handed to each
supplier in a recent window: rollups do not carry the supplier)."""

from datetime import timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from accounts.models import Account
from messaging.pipeline.models import Message
from messaging.pipeline.status import Progress
from messaging.reports.dashboard import DELIVERED, PERIODS, Totals
from messaging.reports.models import MessageRollup

SUPPLIER_WINDOW = timedelta(hours=24)


def customers(period="7d", now=None, limit=50):
    """Per account: totals of the period (UTC days, one calendar for all customers)."""
    now = now or timezone.now()
    _, days = PERIODS.get(period, PERIODS["7d"])
    since = (now - timedelta(days=days - 1)).date()
    rows = (
        MessageRollup.objects.filter(day__gte=since)
        .values("account_id", "pending")
        .annotate(
            messages=Sum("messages"),
            units=Sum("units"),
            cost=Sum("cost"),
            refunds=Sum("refunds"),
            delivered=Sum(DELIVERED),
        )
        .order_by()
    )
    per_account, overall = {}, Totals()
    for r in rows:
        per_account.setdefault(r["account_id"], Totals()).add(r)
        overall.add(r)
    ranked = sorted(per_account.items(), key=lambda kv: -kv[1].messages)[:limit]
    found = {
        pk: (name, uuid)
        for pk, name, uuid in Account.objects.filter(pk__in=[pk for pk, _ in ranked]).values_list("pk", "name", "uuid")
    }
    return {
        "overall": overall,
        "accounts": [{"name": found[pk][0], "uuid": found[pk][1], "totals": t} for pk, t in ranked if pk in found],
    }


def suppliers(now=None):
    """Per supplier over the last 24 hours: messages handed over, per hour, delivered, failed,
    the failure rate and the average time from hand-over to delivery."""
    now = now or timezone.now()
    took = ExpressionWrapper(F("delivered_at") - F("dispatched_at"), output_field=DurationField())
    delivered = Q(progress__in=[Progress.DELIVERED, Progress.READ])
    rows = (
        Message.objects.filter(dispatched_at__gte=now - SUPPLIER_WINDOW)
        .exclude(supplier="")
        .values("supplier", "channel")
        .annotate(
            handed=Count("id"),
            delivered=Count("id", filter=delivered),
            failed=Count("id", filter=Q(progress=Progress.FAILED)),
            latency=Avg(took, filter=delivered),
        )
        .order_by("-handed")
    )
    out = []
    for r in rows:
        final = r["delivered"] + r["failed"]
        out.append(
            {
                **r,
                "per_hour": round(r["handed"] / 24, 1),
                "failure_rate": round(100 * r["failed"] / final, 1) if final else None,
                "latency_seconds": round(r["latency"].total_seconds(), 1) if r["latency"] else None,
            }
        )
    return out
