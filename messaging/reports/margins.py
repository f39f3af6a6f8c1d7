"""Per-route margins for staff: over a recent window, for every supplier × country × service,
what customers were charged for the messages handed to that supplier (net of refunds: a message
the supplier refused is refunded and not billed by it) against what the supplier costs
(RouteCost per unit; a service's own cost before the supplier's cost for every service).
Read from the messages (rollups carry no supplier), grouped in the database."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from messaging.pipeline.models import Message
from messaging.reports.models import RouteCost
from messaging.reports.rollups import refunded
from portal.core.errors import ValidationFailed

WINDOWS = {"24h": ("Last 24 hours", timedelta(hours=24)), "7d": ("Last 7 days", timedelta(days=7))}


def routes(window="24h", now=None):
    """Rows sorted by supplier, country, service: messages, units billed, revenue, cost (None
    when no cost is known), margin and margin %; and the totals of the routes with a cost."""
    now = now or timezone.now()
    _, span = WINDOWS.get(window, WINDOWS["24h"])
    groups = (
        Message.objects.filter(dispatched_at__gte=now - span)
        .exclude(supplier="")
        .values("supplier", "channel", "iso", "product_code", "state", "status", "status_code")
        .annotate(n=Count("id"), units_sum=Sum("units"), charges_sum=Sum("charges"))
        .order_by()
    )
    costs = {(c.supplier, c.iso, c.product_code): c.cost_per_unit for c in RouteCost.objects.all()}
    per_route = {}
    for g in groups:
        route = per_route.setdefault(
            (g["supplier"], g["iso"], g["product_code"]),
            {"messages": 0, "units": 0, "revenue": Decimal(0), "refunded": 0, "channel": g["channel"]},
        )
        route["messages"] += g["n"]
        if refunded(g["channel"], g["state"], g["status"], g["status_code"]):
            route["refunded"] += g["n"]  # charged back to the customer, not billed by the supplier
            continue
        route["units"] += g["units_sum"] or 0
        route["revenue"] += g["charges_sum"] or Decimal(0)
    rows, total = [], {"revenue": Decimal(0), "cost": Decimal(0)}
    for (supplier, iso, product), r in sorted(per_route.items()):
        unit_cost = costs.get((supplier, iso, product), costs.get((supplier, iso, "")))
        cost = None if unit_cost is None else unit_cost * r["units"]
        margin = None if cost is None else r["revenue"] - cost
        rows.append(
            {
                "supplier": supplier,
                "iso": iso,
                "product_code": product,
                **r,
                "unit_cost": unit_cost,
                "cost": cost,
                "margin": margin,
                "margin_percent": round(100 * margin / r["revenue"], 1)
                if margin is not None and r["revenue"]
                else None,
            }
        )
        if cost is not None:
            total["revenue"] += r["revenue"]
            total["cost"] += cost
    total["margin"] = total["revenue"] - total["cost"]
    total["margin_percent"] = round(100 * total["margin"] / total["revenue"], 1) if total["revenue"] else None
    return {"window": window, "label": WINDOWS.get(window, WINDOWS["24h"])[0], "rows": rows, "total": total}


def save_cost(*, supplier, iso, product_code, cost_per_unit):
    supplier, iso, product_code = supplier.strip(), iso.strip().upper(), product_code.strip().upper()
    if not supplier or len(iso) != 2 or not iso.isalpha():
        raise ValidationFailed({"iso": ["Give the supplier and a two-letter country code."]})
    if cost_per_unit is None or cost_per_unit < 0:
        raise ValidationFailed({"cost_per_unit": ["The cost must be zero or more."]})
    row, _ = RouteCost.objects.update_or_create(
        supplier=supplier, iso=iso, product_code=product_code, defaults={"cost_per_unit": cost_per_unit}
    )
    return row
