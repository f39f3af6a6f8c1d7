"""The inbox: conversations per (business number, customer) from inbound and outbound messages,
searchable, with the customer-service window's remaining time."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone

from messaging.channels.whatsapp.models import InboundMessage, ServiceWindow
from messaging.pipeline.models import Message


@dataclass
class Conversation:
    number: object
    customer: str
    name: str
    last_at: object
    last_text: str
    expires_at: object

    @property
    def remaining(self):
        return max(self.expires_at - timezone.now(), timedelta(0)) if self.expires_at else timedelta(0)

    @property
    def is_open(self):
        return self.remaining > timedelta(0)


def conversations(account, q="", limit=50):
    """The latest conversations first (by the customer's last message)."""
    inbound = InboundMessage.objects.for_account(account)
    if q:
        inbound = inbound.filter(
            Q(customer__contains="".join(c for c in q if c.isdigit()) or q)
            | Q(text__icontains=q)
            | Q(profile_name__icontains=q)
        )
    latest = inbound.values("number_id", "customer").annotate(last=Max("received_at")).order_by("-last")[:limit]
    keys = [(row["number_id"], row["customer"]) for row in latest]
    if not keys:
        return []
    windows = {
        (w.number_id, w.customer): w.expires_at
        for w in ServiceWindow.objects.for_account(account).filter(customer__in={c for _, c in keys})
    }
    last = {}
    for m in (
        inbound.filter(customer__in={c for _, c in keys}).select_related("number").order_by("-received_at")[: limit * 5]
    ):
        last.setdefault((m.number_id, m.customer), m)
    result = []
    for key in keys:
        m = last.get(key)
        if m is None:
            continue
        result.append(Conversation(m.number, m.customer, m.profile_name, m.received_at, m.text, windows.get(key)))
    return result


def thread(account, number, customer, limit=100):
    """Inbound and outbound messages of one conversation, oldest first: (time, direction, object)."""
    inbound = (
        InboundMessage.objects.for_account(account)
        .filter(number=number, customer=customer)
        .order_by("-received_at")[:limit]
    )
    outbound = (
        Message.objects.for_account(account)
        .filter(channel="whatsapp", sender=number.number, mobile=customer)
        .select_related("batch")
        .order_by("-submitted_at")[:limit]
    )
    items = [(m.received_at, "in", m) for m in inbound] + [(m.submitted_at, "out", m) for m in outbound]
    return sorted(items, key=lambda item: item[0])


def window_of(number, customer):
    w = ServiceWindow.objects.filter(number=number, customer=customer).first()
    return Conversation(number, customer, "", None, "", w.expires_at if w else None)
