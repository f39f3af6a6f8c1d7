"""The delivery report: an account's messages, filtered, in submission order, a page at a time by
keyset (no OFFSET: the 1,000th page costs what the first does)."""

import base64
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from messaging.pipeline.models import Message, State
from messaging.pipeline.status import Progress
from messaging.reports import statuses

PAGE = 50
ORDERS = {"newest": ("-submitted_at", "-id"), "oldest": ("submitted_at", "id")}
OUTCOMES = {
    "pending": Q(state__in=[State.SCHEDULED, State.QUEUED, State.SUBMITTING, State.SUBMITTED]),
    "delivered": Q(progress__in=[Progress.DELIVERED, Progress.READ]),
    "failed": Q(state__in=[State.FINAL, State.REJECTED]) & ~Q(progress__in=[Progress.DELIVERED, Progress.READ]),
}
_COLUMNS = (
    "id",
    "batch__uuid",
    "index",
    "channel",
    "mobile",
    "iso",
    "sender",
    "product_code",
    "template_id",
    "status",
    "status_code",
    "units",
    "charges",
    "custom",
    "submitted_at",
    "delivered_at",
    "batch_id",
)


@dataclass
class Page:
    rows: list
    next_cursor: str
    order: str


def cursor_of(submitted_at, pk):
    return base64.urlsafe_b64encode(f"{submitted_at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def parse_cursor(text):
    """(submitted_at, id) from a cursor; None for a missing or malformed one (the first page)."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        when, _, pk = raw.partition("|")
        return datetime.fromisoformat(when), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def messages(account, filters):
    """The account's messages matching `filters` (a dict from DeliveryFilterForm.filters)."""
    rows = Message.objects.for_account(account)
    if filters.get("since"):
        rows = rows.filter(submitted_at__gte=filters["since"])
    if filters.get("until"):
        rows = rows.filter(submitted_at__lt=filters["until"])
    for name in ("channel", "sender", "product_code", "template_id", "iso", "custom", "status"):
        if filters.get(name):
            rows = rows.filter(**{name: filters[name]})
    if filters.get("outcome") in OUTCOMES:
        rows = rows.filter(OUTCOMES[filters["outcome"]])
    if filters.get("campaign"):
        rows = rows.filter(batch__uuid=filters["campaign"])
    if filters.get("mobile"):
        rows = rows.filter(mobile=filters["mobile"])
    return rows


def page(account, filters, *, after="", order="newest", size=PAGE):
    order = order if order in ORDERS else "newest"
    rows = messages(account, filters).order_by(*ORDERS[order])
    position = parse_cursor(after)
    if position:
        when, pk = position
        if order == "newest":
            rows = rows.filter(Q(submitted_at__lt=when) | Q(submitted_at=when, id__lt=pk))
        else:
            rows = rows.filter(Q(submitted_at__gt=when) | Q(submitted_at=when, id__gt=pk))
    found = list(rows.values(*_COLUMNS)[: size + 1])
    more = len(found) > size
    found = found[:size]
    for row in found:
        row["public_id"] = f"{row['batch__uuid']}:{row['index']}"
        row["explanation"] = statuses.explain(row["status"], row["status_code"])
    next_cursor = cursor_of(found[-1]["submitted_at"], found[-1]["id"]) if more else ""
    return Page(found, next_cursor, order)
