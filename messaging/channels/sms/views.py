"""Pages: the Send SMS composer (its summary is the send's own dry run), sent batches and their
messages, and follow-ups of a batch (retry failed, send to the ones who didn't get it)."""

from contextlib import nullcontext

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from accounts.services import credits
from messaging.channels.sms import composer, test_numbers
from messaging.channels.sms.encoding import analyze
from messaging.channels.sms.forms import ConfirmCodeForm, SendForm, TestNumberForm
from messaging.channels.sms.sending import submit
from messaging.links.services import save_links
from messaging.pipeline import compose, outcomes
from messaging.pipeline.models import Batch, Message, State
from messaging.pipeline.sweep import CANCEL_BEFORE, cancel_scheduled
from messaging.reports import campaigns
from messaging.senders.models import ReviewStatus, Sender
from portal import composer as composer_page
from portal.core.errors import DomainError, ValidationFailed
from portal.core.tenancy import get_for_account_or_404
from portal.pages import form_errors_from
from portal.pagination import paginate


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


def _follow_up(account, data):
    """(batch, who) when the composer sends again to part of an earlier send, else None."""
    who = data.get("follow_up_who") or ""
    batch = compose.follow_up_batch(account, data.get("follow_up")) if who in compose.FOLLOW_UPS else None
    return (batch, who) if batch is not None else None


def _summary(account, product_code, composition):
    """The send's own dry run as the composer shows it, with the explanation of a text the DLT
    rules refuse."""
    balance = credits.balance(account)
    if not composition.outgoing:
        return composer_page.Summary(quoted=False, balance=balance, problem="Add numbers to see the cost."), None
    try:
        plan = composer.quote_composition(account, product_code, composition)
    except DomainError as exc:
        problem = next(iter(exc.errors.values()))[0] if getattr(exc, "errors", None) else exc.message
        return composer_page.Summary(quoted=False, balance=balance, problem=problem), None
    summary = composer_page.summarise(plan, balance, composer.REFUSAL_LABELS)
    explanation = None
    if composer.TEMPLATE_REFUSALS & set(plan.refused):
        # Explain the first recipient's text the DLT rules refused (with merge fields, texts differ).
        index = next(i for i, item in enumerate(plan.items) if item["status"] in composer.TEMPLATE_REFUSALS)
        refused = composition.outgoing[index]
        explanation = composer.explain(account, product_code, refused.message, refused.template_id)
    return summary, explanation


def _preview_data(request):
    p = request.POST
    data = {key: p.get(key, "") for key in p if key != "segments"}
    data["segments"] = p.getlist("segments")
    data["shorten"] = p.get("shorten") in ("on", "true", "1")
    data["template_obj"] = composer.find_template(request.account, p.get("template"))
    data["follow_up_obj"] = _follow_up(request.account, data)
    data["sender"] = p.get("sender") or _default_sender(request.account, p.get("service", ""))
    return data


def _initial(request):
    """The composer's starting values: a segment's "Send SMS", or a follow-up of an earlier send
    (its service, sender and text, and who it goes to)."""
    initial = {"segments": request.GET.getlist("segment")}
    who = request.GET.get("who", "")
    batch = compose.follow_up_batch(request.account, request.GET.get("retry")) if who in compose.FOLLOW_UPS else None
    if batch is not None:
        first = Message.objects.for_account(request.account).filter(batch=batch).order_by("index").first()
        initial.update(
            service=batch.product.code,
            follow_up=str(batch.uuid),
            follow_up_who=who,
            name=f"{compose.FOLLOW_UPS[who]}: {batch.name or batch.uuid}"[:200],
        )
        if first is not None:
            initial.update(sender=first.sender, message=first.text)
    return initial, batch


@account_required("send")
def send_page(request):
    initial, follow_up_batch = _initial(request)
    form = SendForm(request.POST or None, request.FILES or None, account=request.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.update({k: v for k, v in request.POST.items() if k.startswith("var_")})
        data["follow_up_obj"] = _follow_up(request.account, data)
        test_to = test_numbers.verified_number(request.account, request.user) if "test" in request.POST else ""
        try:
            if "test" in request.POST and not test_to:
                # A stale "Send a test" button must never turn into a send to everyone.
                raise ValidationFailed({"": ["Confirm your test number first (Your test number page)."]})
            composition = composer.compose_send(request.account, data, files=[data["file"]] if data.get("file") else [])
            if test_to:
                composition = composer.as_test(composition, test_to, sender=data["sender"], type=data["type"])
            submission = _submit(request, data, composition, test=bool(test_to))
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            composer_page.report_outcome(
                request,
                accepted=submission.accepted,
                total=submission.batch.total,
                refused=composer_page.refused_counts(submission.items, composer.ACCEPTED_STATUSES),
                labels=composer.REFUSAL_LABELS,
                noun="test SMS message" if test_to else "SMS message",
            )
            if not test_to:
                return redirect("sending:batch_detail", pk=submission.batch.uuid)
    if request.method == "POST":
        follow_up_batch = compose.follow_up_batch(request.account, request.POST.get("follow_up"))
    ctx = {
        "form": form,
        "follow_up_batch": follow_up_batch,
        "template_form": _template_form(request, form),
        "test_number": test_numbers.verified_number(request.account, request.user),
    }
    return render(request, "sending/send.html", ctx, status=422 if form.errors else 200)


def _submit(request, data, composition, *, test=False):
    """Submit a composition; its short links are saved with the send or not at all. A test goes
    now, whatever the schedule."""
    with transaction.atomic() if composition.links else nullcontext():
        submission = submit(
            account=request.account,
            product_code=data["service"],
            outgoing=composition.outgoing,
            name=f"Test: {data['name'] or 'composer'}"[:200] if test else data["name"],
            schedule=None if test else data["time"],
            actor=request.user,
            source="portal",
        )
        if composition.links and submission.batch.accepted:
            save_links(account=request.account, pairs=composition.links, batch=submission.batch)
    return submission


def _template_form(request, form):
    """The chosen template's variables (on a re-rendered page: with the values typed)."""
    values = request.POST if request.method == "POST" else {}
    template = composer.find_template(request.account, values.get("template") or form.initial.get("template"))
    if template is None:
        return None
    return {"template": template, "variables": composer.template_variables(template, values)}


@account_required("send")
def send_preview(request):
    """The summary beside the composer (HTMX, on every edit, the file included): the send's own
    dry run over the same recipients and text, and the send button's words (out of band)."""
    data = _preview_data(request)
    files = request.FILES.getlist("file")[:1]
    composition = composer.compose_send(request.account, data, files=files, strict=False)
    summary, explanation = _summary(request.account, data.get("service", ""), composition)
    first_text = composition.outgoing[0].message if composition.outgoing else composition.text
    ctx = {
        "summary": summary,
        "explanation": explanation,
        "analysis": analyze(first_text, data.get("type") or "A"),
        "audience": composition.audience,
        "composition": composition,
        "samples": composition.outgoing[: composer.PREVIEW_RECIPIENTS] if composition.merged else [],
    }
    return render(request, "sending/partials/preview.html", ctx)


@account_required("send")
def template_fields(request):
    """The chosen template's variable fields (HTMX, when the template picker changes)."""
    template = composer.find_template(request.account, request.GET.get("template"))
    ctx = {"template_form": None}
    if template is not None:
        ctx["template_form"] = {"template": template, "variables": composer.template_variables(template, {})}
    return render(request, "sending/partials/template_fields.html", ctx)


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
        "follow_ups": compose.follow_up_counts(request.account, batch) if batch.channel == "sms" else [],
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


@account_required("send")
def test_number_page(request):
    """The member's own test number: ask for a code (sent through the pipeline), confirm it."""
    row = test_numbers.current(request.account, request.user)
    send_form = TestNumberForm(
        request.POST if request.POST.get("action") == "send" else None,
        account=request.account,
        initial={"number": row.number if row else ""},
    )
    confirm_form = ConfirmCodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    if request.method == "POST" and send_form.is_bound and send_form.is_valid():
        data = send_form.cleaned_data
        try:
            test_numbers.send_code(
                account=request.account,
                user=request.user,
                number=data["number"],
                product_code=data["service"],
                sender=data["sender"],
            )
        except DomainError as exc:
            form_errors_from(send_form, exc)
        else:
            messages.success(request, "Code sent: type it below to confirm the number.")
            return redirect("sending:test_number")
    if request.method == "POST" and confirm_form.is_bound and confirm_form.is_valid():
        try:
            test_numbers.confirm(account=request.account, user=request.user, code=confirm_form.cleaned_data["code"])
        except DomainError as exc:
            form_errors_from(confirm_form, exc)
        else:
            messages.success(request, "Number confirmed: the composer can send tests to it.")
            return redirect("sending:test_number")
    ctx = {"row": row, "send_form": send_form, "confirm_form": confirm_form}
    status = 422 if send_form.errors or confirm_form.errors else 200
    return render(request, "sending/test_number.html", ctx, status=status)
