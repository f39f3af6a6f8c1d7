"""Pages: send SMS (with a live counter and cost estimate), sent batches and their messages."""

import contextlib
import csv
import io
import re
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from accounts.services import credits
from contacts.recipients import segment_numbers
from messaging.channels.sms.encoding import analyze
from messaging.channels.sms.forms import SendForm
from messaging.channels.sms.sending import Outgoing, submit
from messaging.models import Service
from messaging.pipeline.models import Batch, Message, State
from messaging.pipeline.sweep import CANCEL_BEFORE, cancel_scheduled
from messaging.pricing.services import price_table
from portal.core.errors import DomainError
from portal.core.phone_numbers import InvalidNumber, normalize
from portal.core.tenancy import get_for_account_or_404
from portal.pages import form_errors_from
from portal.pagination import paginate

SPLIT = re.compile(r"[\s,;]+")


def _numbers(text, upload=None):
    numbers = [n for n in SPLIT.split(text or "") if n]
    if upload is not None:
        reader = csv.reader(io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace"))
        numbers += [row[0].strip() for row in reader if row and row[0].strip() and any(c.isdigit() for c in row[0])]
    return numbers


def _segment_numbers(account, segment_ids):
    """Mobile numbers of the chosen segments (members not unsubscribed from SMS), as strings."""
    if not segment_ids:
        return []
    return list(islice(segment_numbers(account, segment_ids, channel="sms"), settings.SEND_MAX_RECIPIENTS + 1))


def _estimate(account, service_code, numbers, text, message_type):
    """What the send would cost, before sending: parts per message and the price per destination."""
    analysis = analyze(text or "", message_type or "A")
    service = Service.objects.filter(code=service_code).first()
    prices = price_table(account, service) if service else {}
    valid, invalid, unpriced, cost = 0, 0, 0, Decimal(0)
    for raw in numbers[:100_000]:
        try:
            _, iso = normalize(raw)
        except InvalidNumber:
            invalid += 1
            continue
        if iso not in prices:
            unpriced += 1
            continue
        valid += 1
        cost += prices[iso] * analysis.units
    balance = credits.balance(account)
    return {
        "analysis": analysis,
        "valid": valid,
        "invalid": invalid,
        "unpriced": unpriced,
        "cost": cost,
        "balance": balance,
        "affordable": cost <= balance,
    }


@account_required("send")
def send_page(request):
    initial = {"segments": request.GET.getlist("segment")}  # "Send SMS" from a segment's page
    form = SendForm(request.POST or None, request.FILES or None, account=request.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        numbers = _numbers(data["recipients"], data.get("file"))
        numbers += _segment_numbers(request.account, data.get("segments"))
        outgoing = [Outgoing(to=n, sender=data["sender"], message=data["message"], type=data["type"]) for n in numbers]
        try:
            submission = submit(
                account=request.account,
                service_code=data["service"],
                outgoing=outgoing,
                name=data["name"],
                schedule=data["time"],
                actor=request.user,
                source="portal",
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"{submission.accepted} of {submission.batch.total} messages accepted.")
            return redirect("sending:batch_detail", pk=submission.batch.uuid)
    return render(request, "sending/send.html", {"form": form}, status=422 if form.errors else 200)


@account_required("send")
def send_preview(request):
    """The live counter and cost estimate under the composer (HTMX, on every edit)."""
    p = request.POST
    numbers = _numbers(p.get("recipients", ""))
    # An unknown segment is reported when sending; the estimate counts the rest.
    with contextlib.suppress(DomainError):
        numbers += _segment_numbers(request.account, p.getlist("segments"))
    ctx = _estimate(request.account, p.get("service"), numbers, p.get("message", ""), p.get("type", "A"))
    return render(request, "sending/partials/preview.html", ctx)


@account_required()
def batch_list(request):
    batches = Batch.objects.for_account(request.account).select_related("service")
    q = request.GET.get("q", "").strip()
    if q:
        batches = batches.filter(name__icontains=q)
    ctx = {"page": paginate(request, batches), "q": q}
    if request.htmx and not request.htmx.boosted:
        return render(request, "sending/partials/batch_table.html", ctx)
    return render(request, "sending/batch_list.html", ctx)


@account_required()
def batch_detail(request, pk):
    batch = get_for_account_or_404(Batch.objects.select_related("service"), request.account, uuid=pk)
    rows = Message.objects.for_account(request.account).filter(batch=batch)
    status = request.GET.get("status", "")
    counts = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    in_flight = rows.filter(state__in=[State.QUEUED, State.SUBMITTING, State.SUBMITTED, State.SCHEDULED]).exists()
    if status:
        rows = rows.filter(status=status)
    ctx = {
        "batch": batch,
        "counts": sorted(counts.items()),
        "page": paginate(request, rows.order_by("index"), 50),
        "status": status,
        "in_flight": in_flight,
        "cancellable": batch.scheduled_at is not None
        and counts.get("SCHEDULED")
        and timezone.now() <= batch.scheduled_at - CANCEL_BEFORE,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "sending/partials/batch_messages.html", ctx)
    return render(request, "sending/batch_detail.html", ctx)


@require_POST
@account_required("send")
def batch_cancel(request, pk):
    """Cancel a scheduled send (until 5 minutes before it is due); its charges come back."""
    batch = get_for_account_or_404(Batch, request.account, uuid=pk)
    try:
        cancelled, refund = cancel_scheduled(
            account=request.account, group_id=batch.uuid, actor=request.user, request=request
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Scheduled send cancelled: {cancelled} messages, {refund:.4f} credits refunded.")
    return redirect("sending:batch_detail", pk=batch.uuid)
