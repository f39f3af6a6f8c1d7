"""Pages: send SMS (with a live counter and cost estimate), sent batches and their messages."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from accounts.services import credits
from messaging.channels.sms.encoding import analyze
from messaging.channels.sms.forms import SendForm
from messaging.channels.sms.sending import Outgoing, quote, submit
from messaging.pipeline import outcomes, recipients
from messaging.pipeline.models import Batch, Message, State
from messaging.pipeline.sweep import CANCEL_BEFORE, cancel_scheduled
from messaging.reports import campaigns
from messaging.senders.models import ReviewStatus, Sender
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pages import form_errors_from
from portal.pagination import paginate

NOT_COUNTED = ("INV-NUMBER", "NOTALLOWED")  # shown on their own lines of the preview


def _recipients(account, data, upload=None, *, strict=True):
    """Typed numbers, the file's and the segments' members, deduplicated (the pipeline's resolver).
    Not strict: a segment id that is no longer valid is left out (the send reports it)."""
    numbers = recipients.typed(data.get("recipients", ""))
    files = [upload] if upload is not None else []
    try:
        return recipients.resolve(account, numbers=numbers, files=files, segment_ids=data.get("segments"))
    except DomainError:
        if strict:
            raise
        return recipients.resolve(account, numbers=numbers, files=files)


def _default_sender(account, product_code):
    """The composer's sender field starts on the first approved sender: the preview quotes with it
    until one is picked."""
    sender = (
        Sender.objects.for_account(account)
        .filter(status=ReviewStatus.APPROVED, product__code=product_code)
        .order_by("name")
        .values_list("name", flat=True)
        .first()
    )
    return sender or ""


def _estimate(account, product_code, numbers, text, message_type, sender):
    """What the send would do, from the send's own dry run (`quote`): the numbers it would
    accept, those it would refuse by reason, and the cost it would charge."""
    analysis = analyze(text or "", message_type or "A")
    outgoing = [Outgoing(to=n, sender=sender, message=text or "", type=message_type or "A") for n in numbers]
    plan, refused, cost, accepted = None, {}, Decimal(0), 0
    try:
        plan = quote(account=account, product_code=product_code, outgoing=outgoing)
    except DomainError:
        pass  # an incomplete form (no service, no text): parts only, nothing to quote yet
    else:
        refused, cost, accepted = plan.refused, plan.cost, plan.accepted
    balance = credits.balance(account)
    return {
        "analysis": analysis,
        "valid": accepted,
        "invalid": refused.get("INV-NUMBER", 0),
        "unpriced": refused.get("NOTALLOWED", 0),
        "other_refusals": sorted((s, n) for s, n in refused.items() if s not in NOT_COUNTED),
        "quoted": plan is not None,
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
        try:
            numbers = _recipients(request.account, data, data.get("file"))
            outgoing = [
                Outgoing(to=n, sender=data["sender"], message=data["message"], type=data["type"]) for n in numbers
            ]
            submission = submit(
                account=request.account,
                product_code=data["service"],
                outgoing=outgoing,
                name=data["name"],
                schedule=data["time"],
                actor=request.user,
                source="portal",
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            total = submission.batch.total
            messages.success(request, f"{submission.accepted} of {total} message{pluralize(total)} accepted.")
            return redirect("sending:batch_detail", pk=submission.batch.uuid)
    return render(request, "sending/send.html", {"form": form}, status=422 if form.errors else 200)


@account_required("send")
def send_preview(request):
    """The live counter and cost estimate under the composer (HTMX, on every edit)."""
    p = request.POST
    data = {"recipients": p.get("recipients", ""), "segments": p.getlist("segments")}
    numbers = _recipients(request.account, data, strict=False)
    product = p.get("service", "")
    sender = p.get("sender") or _default_sender(request.account, product)
    ctx = _estimate(request.account, product, numbers, p.get("message", ""), p.get("type", "A"), sender)
    return render(request, "sending/partials/preview.html", ctx)


@account_required()
def batch_list(request):
    batches = Batch.objects.for_account(request.account).select_related("product")
    q = request.GET.get("q", "").strip()
    if q:
        batches = batches.filter(name__icontains=q)
    ctx = {"page": paginate(request, batches), "q": q}
    if request.htmx and not request.htmx.boosted:
        return render(request, "sending/partials/batch_table.html", ctx)
    return render(request, "sending/batch_list.html", ctx)


@account_required()
def batch_detail(request, pk):
    batch = get_for_account_or_404(Batch.objects.select_related("product"), request.account, uuid=pk)
    rows = Message.objects.for_account(request.account).filter(batch=batch)
    status = request.GET.get("status", "")
    counts = outcomes.status_counts(batch)  # refused-before-pricing numbers included (no rows of theirs)
    in_flight = rows.filter(state__in=[State.QUEUED, State.SUBMITTING, State.SUBMITTED, State.SCHEDULED]).exists()
    charged, refunded, net = campaigns.money(batch)
    ctx = {
        "batch": batch,
        "charged": charged,
        "refunded": refunded,
        "net": net,
        "counts": sorted(counts.items()),
        "page": paginate(request, outcomes.BatchRecipients(batch, status), 50),
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
        messages.success(
            request,
            f"Scheduled send cancelled: {cancelled} message{pluralize(cancelled)}, {refund:.4f} credits refunded.",
        )
    return redirect("sending:batch_detail", pk=batch.uuid)
