"""Staff review desk: pending sender IDs and templates across customers."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_POST

from accounts.permissions import staff_required
from messaging.models import Product
from messaging.review import services
from messaging.senders.models import Sender
from portal.core.errors import DomainError


def _queue_filters(request):
    # The page's filter is `service` (the customers' word for a product code).
    filters = {key: request.GET.get(key) or None for key in ("kind", "account", "iso")}
    filters["product"] = request.GET.get("service") or None
    return filters


@staff_required
def review_queue(request):
    filters = _queue_filters(request)
    ctx = {
        "rows": services.pending_queue(**filters),
        "filters": filters,
        "services": Product.objects.filter(channel="sms"),
        "turnaround_minutes": int(services.TURNAROUND.total_seconds() // 60),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "review/partials/queue_table.html", ctx)
    return render(request, "review/queue.html", ctx)


def _item(kind, pk):
    model = services.KINDS.get(kind)
    if model is None:
        raise Http404
    try:
        return model.objects.select_related("account").get(uuid=uuid.UUID(str(pk)))
    except (ValueError, model.DoesNotExist):
        raise Http404 from None


@staff_required
def review_detail(request, kind, pk):
    item = _item(kind, pk)
    ctx = {"item": item, "kind": kind}
    if isinstance(item, Sender):
        ctx["templates"] = item.templates.all()[:20]
    else:
        ctx["sender"] = item.sender
    return render(request, "review/detail.html", ctx)


@staff_required
@require_POST
def review_decide(request, kind, pk):
    item = _item(kind, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide(
            item=item, approve=approve, actor=request.user, reason=request.POST.get("reason", ""), request=request
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("review:detail", kind=kind, pk=item.uuid)
    messages.success(request, f"{item.name} {'approved' if approve else 'rejected'}.")
    return redirect("review:queue")


@staff_required
@require_POST
def review_bulk(request):
    approve = request.POST.get("decision") == "approve"
    items = []
    for value in request.POST.getlist("items"):
        kind, _, pk = value.partition(":")
        items.append(_item(kind, pk))
    if not items:
        messages.error(request, "Select at least one item.")
        return redirect("review:queue")
    try:
        services.bulk_decide(
            items=items, approve=approve, actor=request.user, reason=request.POST.get("reason", ""), request=request
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{len(items)} item{pluralize(len(items))} {'approved' if approve else 'rejected'}.")
    return redirect("review:queue")
