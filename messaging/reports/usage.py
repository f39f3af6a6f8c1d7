"""The account usage report (`sms/activity`): per local day and service, the credits at the
day's start and end, the units and credits sent and the units delivered. Message figures come
from the rollups; balances from the ledger."""

from django.db.models import Sum

from accounts.models import LedgerEntry
from messaging.reports import summary
from messaging.reports.models import MessageRollup


def days(account, channel="sms"):
    """Rollup rows per (day, service), newest first, as a queryset of dicts."""
    return (
        MessageRollup.objects.for_account(account)
        .filter(channel=channel)
        .exclude(status__in=_NOT_SENT)
        .values("day", "product_code")
        .annotate(units=Sum("units"), cost=Sum("cost"), refunds=Sum("refunds"), delivered_units=Sum("delivered_units"))
        .order_by("-day", "product_code")
    )


# Refused at accept time: never sent, never charged.
_NOT_SENT = (
    "INV-NUMBER",
    "NOTALLOWED",
    "INV-SENDER",
    "TEMPLATE-NOT-FOUND",
    "INV-TEMPLATE",
    "DLT-TM-VAR-EXECEED",
    "DLT-TM-BLACKLST",
    "OPTOUT-REJ",
    "PROMO-TMOUT",
    "DUPLICATE",
)


def balance_at(account, instant):
    """The general wallet's balance just before `instant` (0 before the first movement)."""
    entry = (
        LedgerEntry.objects.for_account(account)
        .filter(created_at__lt=instant, wallet__product_code="")
        .order_by("-created_at", "-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    return entry or 0


def rows(account, page_rows, *, first_serial):
    """The catalogued row for each (day, service) of a page."""
    out = []
    for serial, row in enumerate(page_rows, start=first_serial):
        start, end = summary.day_bounds(account, row["day"], row["day"])
        units = row["units"] or 0
        out.append(
            {
                "service": row["product_code"],
                "opening": f"{balance_at(account, start):.4f}",
                "available": f"{balance_at(account, end):.4f}",
                "sent_units": units,
                "sent_credits": f"{(row['cost'] or 0) - (row['refunds'] or 0):.4f}",
                "deliv_units": row["delivered_units"] or 0,
                "on_date": row["day"].isoformat(),
                "serial": serial,
            }
        )
    return out
