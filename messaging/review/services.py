"""Staff review of sender IDs and templates: approve, reject (with a reason), in bulk too.

Each decision is audited, notifies the customer (in the portal and by e-mail) and writes an
internal event to the outbox, all in one transaction.
"""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.notifications.models import Level
from accounts.notifications.services import notify
from accounts.services import audit
from messaging.events import SENDER_REVIEWED, TEMPLATE_REVIEWED
from messaging.senders.models import ReviewStatus, Sender, Template
from portal.core import events, rules
from portal.core.errors import DomainError

TURNAROUND = timedelta(minutes=30)
KINDS = {"sender": Sender, "template": Template}


def _rules_changed(account):

    rules.bump(account)


def kind_of(item):
    return "sender" if isinstance(item, Sender) else "template"


def _label(item):
    return f"sender ID {item.name}" if isinstance(item, Sender) else f"template “{item.name}”"


def _link(item):
    return reverse("senders:sender_list") if isinstance(item, Sender) else reverse("senders:template_list")


def decide(*, item, approve, actor=None, reason="", request=None):
    """Approve or reject one item. Staff may re-review an item already decided (recorded as such)."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise DomainError("A reason is required to reject.", field="reason")
    kind = kind_of(item)
    with transaction.atomic():
        item = type(item).objects.select_for_update().select_related("account").get(pk=item.pk)
        previous = item.status
        item.status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
        item.review_message = "" if approve else reason[:500]
        item.reviewed_by = actor
        item.reviewed_at = timezone.now()
        item.save(update_fields=["status", "review_message", "reviewed_by", "reviewed_at", "updated_at"])
        verdict = "approved" if approve else "rejected"
        audit.record(
            f"{kind}.{verdict}",
            account=item.account,
            actor=actor,
            request=request,
            target=item.name,
            **{kind: str(item.uuid)},
            reason=reason,
            previous_status=ReviewStatus(previous).label,
        )
        title = f"Your {_label(item)} was {verdict}"
        notify(
            account=item.account,
            title=title,
            body=reason if not approve else "It can be used now.",
            link=_link(item),
            level=Level.SUCCESS if approve else Level.ERROR,
        )
        _rules_changed(item.account)
        events.emit(
            account=item.account,
            type=SENDER_REVIEWED if kind == "sender" else TEMPLATE_REVIEWED,
            payload={
                "id": str(item.uuid),
                "kind": kind,
                "name": item.name,
                "status": item.status,
                "decision": verdict,
                "reason": reason,
                "reviewed_at": item.reviewed_at.isoformat(),
            },
        )
    return item


def approve(*, item, actor=None, request=None):
    return decide(item=item, approve=True, actor=actor, request=request)


def reject(*, item, actor=None, reason, request=None):
    return decide(item=item, approve=False, actor=actor, reason=reason, request=request)


def bulk_decide(*, items, approve, actor=None, reason="", request=None):
    """Decide several items; all or nothing."""
    if not approve and not (reason or "").strip():
        raise DomainError("A reason is required to reject.", field="reason")
    with transaction.atomic():
        return [decide(item=i, approve=approve, actor=actor, reason=reason, request=request) for i in items]


def pending_queue(*, kind=None, account=None, product=None, iso=None):
    """Pending items across all customers, oldest first, with their age against the target."""
    now = timezone.now()
    rows = []
    for name, model in KINDS.items():
        if kind and kind != name:
            continue
        qs = model.objects.filter(status=ReviewStatus.PENDING).select_related("account")
        qs = qs.select_related("product") if model is Sender else qs.select_related("sender__product")
        if account:
            qs = qs.filter(account__username=account)
        if product:
            qs = qs.filter(product__code=product) if model is Sender else qs.filter(sender__product__code=product)
        if iso:
            qs = qs.filter(iso=iso) if model is Sender else qs.filter(sender__iso=iso)
        for item in qs.order_by("submitted_at")[:500]:
            age = now - item.submitted_at
            rows.append({"kind": name, "item": item, "age": age, "overdue": age > TURNAROUND})
    rows.sort(key=lambda r: r["item"].submitted_at)
    return rows
