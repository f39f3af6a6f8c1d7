"""Credit reconciliation: per local day and campaign, what was charged against what was
delivered, failed and refunded, so a customer can check they paid only for what the rules say
(every accepted message is charged once; supplier refusals and cancelled schedules are refunded;
failed receipts are not)."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from messaging.pipeline.models import Batch
from messaging.reports import summary
from messaging.reports.dashboard import DELIVERED, period_range


def _blank():
    return {
        "messages": 0,
        "charged": Decimal(0),
        "delivered": 0,
        "delivered_charges": Decimal(0),
        "failed": 0,
        "failed_charges": Decimal(0),
        "pending": 0,
        "pending_charges": Decimal(0),
        "refunded": Decimal(0),
    }


def by_day_and_campaign(account, period="30d"):
    start, end = period_range(account, period)
    # A rollup row is of one status: wholly delivered, wholly failed, or wholly pending.
    per_status = (
        summary.rollups(account, start, end)
        .values("day", "batch_id", "status", "status_code", "pending")
        .annotate(messages=Sum("messages"), cost=Sum("cost"), refunds=Sum("refunds"), delivered=Sum(DELIVERED))
        .order_by()
    )
    lines = defaultdict(_blank)
    for r in per_status:
        line = lines[(r["day"], r["batch_id"])]
        line["messages"] += r["messages"]
        line["charged"] += r["cost"]
        line["refunded"] += r["refunds"]
        if r["pending"]:
            line["pending"] += r["messages"]
            line["pending_charges"] += r["cost"]
        elif r["delivered"]:
            line["delivered"] += r["messages"]
            line["delivered_charges"] += r["cost"]
        else:
            line["failed"] += r["messages"]
            line["failed_charges"] += r["cost"]
    batches = {
        pk: (name, uuid)
        for pk, name, uuid in Batch.objects.for_account(account)
        .filter(pk__in={b for _, b in lines})
        .values_list("pk", "name", "uuid")
    }
    out, total = [], _blank()
    for (day, batch_id), line in sorted(lines.items(), key=lambda kv: (kv[0][0], kv[0][1]), reverse=True):
        line["net"] = line["charged"] - line["refunded"]
        name, uuid = batches.get(batch_id, ("", None))
        out.append({"day": day, "batch_id": batch_id, "name": name, "uuid": uuid, **line})
        for k in total:
            total[k] += line[k]
    total["net"] = total["charged"] - total["refunded"]
    return {"start": start, "end": end, "period": period, "lines": out, "total": total}
