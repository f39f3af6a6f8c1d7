"""The delivery report: an account's messages, filtered, in submission order, a page at a time by
keyset (no OFFSET: the 1,000th page costs what the first does)."""

import base64
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from messaging.pipeline.models import Batch, Message, State
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
    "operator",
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
    if filters.get("campaign"):
        # By the batch's id alone: its (batch, index) index then serves pages and exports (no
        # join, no sort, no second index over the account's every message). The batch is looked
        # up within the account, so its rows are the account's; they all carry the batch's
        # submit time, so the date range is decided once, on the batch.
        batch = Batch.objects.for_account(account).filter(uuid=filters["campaign"]).values("pk", "created_at").first()
        in_range = batch is not None and not (
            (filters.get("since") and batch["created_at"] < filters["since"])
            or (filters.get("until") and batch["created_at"] >= filters["until"])
        )
        rows = Message.objects.filter(batch_id=batch["pk"] if in_range else 0)
        filters = {k: v for k, v in filters.items() if k not in ("since", "until")}
    if filters.get("since"):
        rows = rows.filter(submitted_at__gte=filters["since"])
    if filters.get("until"):
        rows = rows.filter(submitted_at__lt=filters["until"])
    for name in ("channel", "sender", "product_code", "template_id", "iso", "operator", "custom", "status"):
        if filters.get(name):
            rows = rows.filter(**{name: filters[name]})
    if filters.get("outcome") in OUTCOMES:
        rows = rows.filter(OUTCOMES[filters["outcome"]])
    if filters.get("mobile"):
        rows = rows.filter(mobile=filters["mobile"])
    return rows


def page(account, filters, *, after="", order="newest", size=PAGE):
    """A page of messages. Within one campaign the order is the batch's own (index: submission
    order, served by the batch's unique index); otherwise (submitted_at, id)."""
    order = order if order in ORDERS else "newest"
    newest = order == "newest"
    rows = messages(account, filters)
    position = parse_cursor(after)
    if filters.get("campaign"):
        rows = rows.order_by("-index" if newest else "index")
        if position:
            rows = rows.filter(index__lt=position[1]) if newest else rows.filter(index__gt=position[1])
    else:
        rows = rows.order_by(*ORDERS[order])
        if position:
            when, pk = position
            if newest:
                rows = rows.filter(Q(submitted_at__lt=when) | Q(submitted_at=when, id__lt=pk))
            else:
                rows = rows.filter(Q(submitted_at__gt=when) | Q(submitted_at=when, id__gt=pk))
    found = list(rows.values(*_COLUMNS)[: size + 1])
    more = len(found) > size
    found = found[:size]
    for row in found:
        row["public_id"] = f"{row['batch__uuid']}:{row['index']}"
        row["explanation"] = statuses.explain(row["status"], row["status_code"])
    last = found[-1] if found else None
    key = last and (last["index"] if filters.get("campaign") else last["id"])
    next_cursor = cursor_of(last["submitted_at"], key) if more else ""
    return Page(found, next_cursor, order)
