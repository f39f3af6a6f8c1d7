from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AuditEvent, LedgerEntry, LedgerKind
from accounts.permissions import account_required, staff_required
from accounts.services import credits
from messaging.pipeline.models import Batch, Message, SupplierConnector
from messaging.pipeline.status import Progress
from messaging.review.services import pending_queue

CHART_DAYS = 30


def _daily_movements(account, since):
    """Per-day credits added and spent since `since`, one row per day (zeros included)."""
    rows = (
        LedgerEntry.objects.for_account(account)
        .filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(added=Sum("amount", filter=Q(amount__gt=0)), spent=Sum("amount", filter=Q(amount__lt=0)))
    )
    by_day = {r["day"]: r for r in rows}
    days = []
    for i in range(CHART_DAYS):
        day = (since + timedelta(days=i)).date()
        r = by_day.get(day, {})
        days.append({"day": day, "added": r.get("added") or Decimal(0), "spent": -(r.get("spent") or Decimal(0))})
    return days


def _chart(days, width=600, height=140):
    """Bars for spent (and added) per day, scaled to the largest value, as SVG coordinates."""
    peak = max([d["spent"] for d in days] + [d["added"] for d in days] + [Decimal(1)])
    slot = width / len(days)
    bars = []
    for i, d in enumerate(days):
        for j, (key, cls) in enumerate((("added", "bar-added"), ("spent", "bar-spent"))):
            value = d[key]
            h = float(value / peak) * (height - 10) if value else 0
            bars.append(
                {
                    "x": round(i * slot + 2 + j * (slot - 4) / 2, 2),
                    "y": round(height - h, 2),
                    "w": round((slot - 4) / 2, 2),
                    "h": round(h, 2),
                    "cls": cls,
                    "title": f"{d['day']:%d %b}: {key} {value:.2f}",
                }
            )
    return {"bars": bars, "width": width, "height": height, "peak": peak}


def _totals(account, since):
    """The 30-day stats by kind of movement: spend is charges less refunds; transfers to a
    reseller's customers and from its parent are transfers, never spend or top-ups."""
    rows = dict(
        LedgerEntry.objects.for_account(account)
        .filter(created_at__gte=since)
        .values("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    zero = Decimal(0)
    return {
        "spent_30d": -(rows.get(LedgerKind.DEBIT) or zero) - (rows.get(LedgerKind.REFUND) or zero),
        "added_30d": (rows.get(LedgerKind.TOP_UP) or zero) + (rows.get(LedgerKind.ADJUSTMENT) or zero),
        "received_30d": rows.get(LedgerKind.TRANSFER_IN) or zero,
        "transferred_30d": -(rows.get(LedgerKind.TRANSFER_OUT) or zero),
    }


@account_required()
def dashboard(request):
    account = request.account
    now = timezone.now()
    since = (now - timedelta(days=CHART_DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    days = _daily_movements(account, since)
    ledger = list(LedgerEntry.objects.for_account(account).select_related("actor")[:10])
    events = list(AuditEvent.objects.for_account(account)[:10])
    activity = sorted(
        [{"at": e.created_at, "kind": "ledger", "item": e} for e in ledger]
        + [{"at": e.created_at, "kind": "audit", "item": e} for e in events],
        key=lambda row: row["at"],
        reverse=True,
    )[:10]
    active_keys = account.api_keys.active().count()
    balance = credits.balance(account)
    ctx = {
        "balance": balance,
        **_totals(account, since),
        "chart": _chart(days),
        "first_day": days[0]["day"],
        "activity": activity,
        "active_keys": active_keys,
        "members": account.memberships.count(),
        "getting_started": active_keys == 0 or balance <= 0,
    }
    return render(request, "dashboard.html", ctx)


FAILING_SHARE = Decimal("0.2")  # a supplier failing a fifth of the last hour's messages is flagged


def platform_overview(now=None):
    """Staff's platform figures: customers, traffic, revenue, pending reviews, failing suppliers.
    Every query is bounded by an index (batches by created_at, messages by their batch)."""
    now = now or timezone.now()
    day, month, hour = now - timedelta(days=1), now - timedelta(days=30), now - timedelta(hours=1)
    customers = Account.objects.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(is_active=True)),
        resellers=Count("pk", filter=Q(is_reseller=True)),
        new_30d=Count("pk", filter=Q(created_at__gte=month)),
    )
    traffic = list(
        Batch.objects.filter(created_at__gte=month)
        .values("channel")
        .annotate(
            messages_30d=Sum("accepted"),
            messages_24h=Sum("accepted", filter=Q(created_at__gte=day)),
        )
        .order_by("channel")
    )
    money = LedgerEntry.objects.filter(created_at__gte=month).aggregate(
        charged=Sum("amount", filter=Q(kind=LedgerKind.DEBIT)),
        refunded=Sum("amount", filter=Q(kind=LedgerKind.REFUND)),
        topped_up=Sum("amount", filter=Q(kind=LedgerKind.TOP_UP)),
    )
    revenue = -(money["charged"] or Decimal(0)) - (money["refunded"] or Decimal(0))
    recent = (
        Message.objects.filter(batch__created_at__gte=hour)
        .exclude(supplier="")
        .values("supplier")
        .annotate(total=Count("pk"), failed=Count("pk", filter=Q(progress=Progress.FAILED)))
    )
    connectors = {c.name: c for c in SupplierConnector.objects.all()}
    suppliers = []
    for row in recent:
        share = Decimal(row["failed"]) / row["total"] if row["total"] else Decimal(0)
        suppliers.append(
            {**row, "share": share, "failing": share >= FAILING_SHARE, "connector": connectors.get(row["supplier"])}
        )
    disabled = [c for c in connectors.values() if not c.enabled]
    return {
        "customers": customers,
        "traffic": traffic,
        "revenue_30d": revenue,
        "topped_up_30d": money["topped_up"] or Decimal(0),
        "pending_reviews": len(pending_queue()),
        "suppliers": sorted(suppliers, key=lambda r: (not r["failing"], r["supplier"])),
        "failing": [r for r in suppliers if r["failing"]],
        "disabled_connectors": disabled,
    }


@staff_required
def staff_overview(request):
    return render(request, "staff/overview.html", platform_overview())


def favicon(request):
    """Browsers and feed readers ask for /favicon.ico whatever the page links: send them to the icon."""
    return redirect(static("src/img/favicon.svg"), permanent=True)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def server_error(request):
    """The 500 page in the brand of the host (already resolved, so no query): no context
    processors, which may be what failed."""
    brand = getattr(request, "brand", None)
    context = {}
    if brand is not None:
        context = {
            "brand": brand,
            "site_name": brand.name,
            "stylesheets": [static("src/css/portal.css"), f"{reverse('brands:stylesheet')}?v={brand.version}"],
        }
    return HttpResponseServerError(loader.get_template("500.html").render(context))
