"""WhatsApp pages: business numbers, templates (list, builder with a live phone preview, status),
the composer (the pipeline's own quote as its preview), the inbox with replies, and the messages
with their status timeline."""

from django.contrib import messages as flash
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from accounts.services import credits
from messaging.channels.whatsapp import errors as provider_errors
from messaging.channels.whatsapp import inbox, media, message_templates
from messaging.channels.whatsapp.api.channel_request import outgoing_for
from messaging.channels.whatsapp.content import parse
from messaging.channels.whatsapp.forms import (
    TEMPLATE_FIELDS,
    ComposeForm,
    MediaForm,
    ReplyForm,
    TemplateForm,
    message_of,
)
from messaging.channels.whatsapp.models import (
    STATUS_FILTER,
    BusinessNumber,
    StatusRecord,
    WhatsappMedia,
    WhatsappTemplate,
)
from messaging.channels.whatsapp.sending import quote, submit
from messaging.pipeline import compose as pipeline_compose
from messaging.pipeline.models import Batch, Message
from portal import composer as composer_page
from portal.core.errors import DomainError, FieldErrors, ValidationFailed
from portal.core.tenancy import get_for_account_or_404, is_uuid
from portal.pagination import paginate


def _errors_on(form, exc, fields=None):
    """A service's field errors on the form's fields (their catalogued paths mapped), the rest on top."""
    for path, problems in getattr(exc, "errors", {"": [exc.message]}).items():
        target = (fields or {}).get(path, path if path in form.fields else None)
        for problem in problems:
            form.add_error(target if target in form.fields else None, problem)


@account_required()
def number_list(request):
    numbers = BusinessNumber.objects.for_account(request.account).order_by("number")
    return render(request, "whatsapp/numbers.html", {"numbers": numbers})


@account_required()
def template_list(request):
    templates = WhatsappTemplate.objects.for_account(request.account).select_related("number")
    status = request.GET.get("status", "")
    if status in STATUS_FILTER:
        templates = templates.filter(status=STATUS_FILTER[status])
    q = request.GET.get("q", "").strip()
    if q:
        templates = templates.filter(name__icontains=q)
    ctx = {"page": paginate(request, templates), "status": status, "q": q, "statuses": STATUS_FILTER}
    if request.htmx and not request.htmx.boosted:
        return render(request, "whatsapp/partials/template_table.html", ctx)
    return render(request, "whatsapp/templates.html", ctx)


def _preview(form):
    """What the phone preview shows, and the rule errors of the draft (the same validation as the save)."""
    data = form.payload()
    errors = {}
    try:
        message_templates.validate(data)
    except ValidationFailed as exc:
        errors = {TEMPLATE_FIELDS.get(k, k): v for k, v in exc.errors.items() if k not in ("number",)}
    payload = data.get("payload") or {}
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    header = payload.get("header") or {}
    choices = payload.get("choices") or {}
    buttons = []
    if choices.get("type") == "reply":
        buttons = [v for k, v in sorted(choices["reply"].items()) if k.startswith("quick_reply") and v]
    elif choices.get("type") == "actions":
        buttons = [a.get("phone_number_text") or a.get("website_button_text") for a in choices.get("actions", [])]
    elif choices.get("type") == "otp":
        buttons = [choices["otp"].get("text") or "Copy code"]
    return {
        "header": (header.get("payload") or {}).get("text") if header.get("type") == "text" else header.get("type"),
        "body": (payload.get("body") or {}).get("payload", {}).get("text")
        or inner.get("text")
        or inner.get("caption")
        or "",
        "footer": (payload.get("footer") or {}).get("payload", {}).get("text", ""),
        "buttons": buttons,
        "media": inner.get("url") if data["type"] == "media" else "",
        "errors": errors,
    }


@account_required("send")
def template_new(request):
    form = TemplateForm(request.POST or None, account=request.account)
    if request.method == "POST" and form.is_valid():
        try:
            template = message_templates.create(account=request.account, data=form.payload())
        except DomainError as exc:
            _errors_on(form, exc, TEMPLATE_FIELDS)
        else:
            flash.success(
                request,
                f"Template {template.name} saved"
                + (" and sent to Meta's review." if not template.is_conversation else "."),
            )
            return redirect("whatsapp:template_detail", pk=template.uuid)
    preview = _preview(form) if form.is_bound and hasattr(form, "cleaned_data") else None
    return render(
        request, "whatsapp/template_new.html", {"form": form, "preview": preview}, status=422 if form.errors else 200
    )


@account_required("send")
def template_preview(request):
    """The live phone preview and the draft's limit errors (HTMX, on every edit)."""
    form = TemplateForm(request.POST, account=request.account)
    form.is_valid()
    return render(request, "whatsapp/partials/template_preview.html", {"preview": _preview(form)})


@account_required()
def template_detail(request, pk):
    template = get_for_account_or_404(WhatsappTemplate.objects.select_related("number"), request.account, uuid=pk)
    if request.htmx and not request.htmx.boosted:
        return render(request, "whatsapp/partials/template_status.html", {"template": template})
    return render(
        request, "whatsapp/template_detail.html", {"template": template, "preview": _stored_preview(template)}
    )


def _stored_preview(t):
    doc = t.payload
    if t.type == "template":
        header = doc.get("header") or {}
        buttons = doc.get("buttons") or {}
        labels = (
            buttons.get("replies")
            or [a["text"] for a in buttons.get("actions", [])]
            or ([buttons["text"]] if buttons.get("text") else [])
        )
        return {
            "header": header.get("text") or header.get("type"),
            "body": t.body,
            "footer": doc.get("footer"),
            "buttons": labels,
        }
    inner = doc.get("payload", {})
    return {"body": t.body or inner.get("caption", ""), "media": inner.get("url", ""), "buttons": []}


@require_POST
@account_required("send")
def template_delete(request, pk):
    template = get_for_account_or_404(WhatsappTemplate, request.account, uuid=pk)
    message_templates.delete(template)
    flash.success(request, f"Template {template.name} deleted.")
    return redirect("whatsapp:template_list")


def _compose_outgoing(account, data, upload=None, *, strict=True):
    errors = FieldErrors()
    parsed = parse(message_of(data, account), errors)
    if errors:
        raise ValidationFailed(errors)
    numbers = pipeline_compose.audience(
        account,
        typed=data.get("recipients", ""),
        files=[upload] if upload is not None else [],
        segment_ids=data.get("segments") or None,
        channel="whatsapp",
        strict=strict,
    ).numbers
    return outgoing_for(numbers, parsed, sender=data.get("sender", ""))


COMPOSE_FIELDS = {
    "message.payload.text": "text",
    "message.payload.url": "media_url",
    "message.payload.body.payload.text": "text",
    "message.payload.choices": "buttons",
    "message.payload.latitude": "latitude",
    "message.payload.longitude": "longitude",
    "message.payload.name": "template",
    "message.payload.body_params": "params",
    "message.payload.header_params": "header_param",
    "message.payload.name.formatted_name": "contact_name",
    "to": "recipients",
}


@account_required("send")
def compose(request):
    form = ComposeForm(
        request.POST or None,
        request.FILES or None,
        account=request.account,
        initial={"segments": request.GET.getlist("segment")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            outgoing = _compose_outgoing(request.account, form.cleaned_data, form.cleaned_data.get("file"))
            submission = submit(account=request.account, outgoing=outgoing, actor=request.user, source="portal")
        except DomainError as exc:
            _errors_on(form, exc, COMPOSE_FIELDS)
        else:
            refused = {}
            for item in submission.items:
                if "error" in item:
                    refused[item["error"]["reason"]] = refused.get(item["error"]["reason"], 0) + 1
            composer_page.report_outcome(
                request,
                accepted=submission.accepted,
                total=submission.batch.total,
                refused=refused,
                labels={},
                noun="WhatsApp message",
            )
            return redirect(f"{reverse('whatsapp:message_list')}?batch={submission.batch.uuid}")
    return render(request, "whatsapp/compose.html", {"form": form}, status=422 if form.errors else 200)


def estimate(account, outgoing):
    """The composer's summary from the send's own dry run: accepted, refused by reason, cost by category."""
    try:
        plan = quote(account=account, outgoing=outgoing)
    except DomainError as exc:
        return {
            "quoted": False,
            "problem": getattr(exc, "errors", None) and next(iter(exc.errors.values()))[0] or exc.message,
        }
    by_category, outside, reasons = {}, 0, {}
    for row, item in zip(plan.rows, plan.items, strict=True):
        code = item.get("error", {}).get("code")
        if code == provider_errors.OUTSIDE_WINDOW:
            outside += 1
        elif code:
            reasons[item["error"]["reason"]] = reasons.get(item["error"]["reason"], 0) + 1
        else:
            category = row[-1].get("category", "service")
            count, cost = by_category.get(category, (0, 0))
            by_category[category] = (count + 1, cost + row[9])
    balance = credits.balance(account)
    return {
        "quoted": True,
        "accepted": plan.accepted,
        "total": plan.total,
        "outside": outside,
        "reasons": sorted(reasons.items()),
        "by_category": sorted(by_category.items()),
        "cost": plan.cost,
        "balance": balance,
        "affordable": plan.cost <= balance,
        "button": composer_page.Summary(quoted=True, total=plan.total, accepted=plan.accepted).button,
    }


@account_required("send")
def compose_preview(request):
    data = {k: request.POST.get(k, "") for k in ComposeForm.base_fields if k not in ("segments", "file")}
    data["segments"] = request.POST.getlist("segments")
    try:
        outgoing = _compose_outgoing(request.account, data, strict=False)
    except ValidationFailed as exc:
        ctx = {"quoted": False, "problem": next(iter(exc.errors.values()))[0]}
    else:
        ctx = (
            estimate(request.account, outgoing)
            if outgoing
            else {"quoted": False, "problem": "Add numbers to see the cost."}
        )
    return render(request, "whatsapp/partials/compose_preview.html", ctx)


@account_required()
def inbox_page(request):
    q = request.GET.get("q", "").strip()
    ctx = {"conversations": inbox.conversations(request.account, q), "q": q}
    if request.htmx and not request.htmx.boosted:
        return render(request, "whatsapp/partials/conversation_list.html", ctx)
    return render(request, "whatsapp/inbox.html", ctx)


def _conversation(request, number_id, customer):
    number = get_for_account_or_404(BusinessNumber, request.account, pk=number_id)
    if not customer.isdigit():
        raise Http404
    return number


@account_required()
def conversation(request, number_id, customer):
    number = _conversation(request, number_id, customer)
    form = ReplyForm(account=request.account, number=number)
    return _render_conversation(request, number, customer, form)


def _render_conversation(request, number, customer, form, status=200):
    ctx = {
        "number": number,
        "customer": customer,
        "thread": inbox.thread(request.account, number, customer),
        "window": inbox.window_of(number, customer),
        "form": form,
    }
    template = (
        "whatsapp/partials/conversation.html"
        if request.htmx and not request.htmx.boosted
        else "whatsapp/conversation.html"
    )
    return render(request, template, ctx, status=status)


@require_POST
@account_required("send")
def reply(request, number_id, customer):
    """Answer inside the window (free-form) or with an approved template; the pipeline's rules apply."""
    number = _conversation(request, number_id, customer)
    form = ReplyForm(request.POST, account=request.account, number=number)
    if form.is_valid():
        data = {**form.cleaned_data, "recipients": customer, "sender": number.number}
        try:
            outgoing = _compose_outgoing(request.account, data)
            submission = submit(account=request.account, outgoing=outgoing, actor=request.user, source="inbox")
        except DomainError as exc:
            _errors_on(form, exc, COMPOSE_FIELDS)
        else:
            item = submission.items[0]
            if item["status"] == "notallowed":
                form.add_error(None, item["error"]["reason"])
            else:
                form = ReplyForm(account=request.account, number=number)
    return _render_conversation(request, number, customer, form, status=422 if form.errors else 200)


STATUS_CHOICES = ("queued", "dispatched", "sent", "delivered", "read", "failed", "deleted", "notallowed")


@account_required()
def message_list(request):
    rows = Message.objects.for_account(request.account).filter(channel="whatsapp").select_related("batch")
    batch_id = request.GET.get("batch", "")
    if is_uuid(batch_id):
        rows = rows.filter(batch__uuid=batch_id)
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    q = request.GET.get("q", "").strip()
    if q:
        rows = (
            rows.filter(mobile__startswith="".join(c for c in q if c.isdigit()))
            if q.lstrip("+").isdigit()
            else rows.filter(text__icontains=q)
        )
    counts = rows.values_list("status").annotate(n=Count("id")).order_by("status")
    ctx = {
        "page": paginate(request, rows.order_by("-submitted_at", "-id"), 50),
        "status": status,
        "q": q,
        "batch": batch_id,
        "counts": list(counts),
        "status_choices": STATUS_CHOICES,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "whatsapp/partials/message_table.html", ctx)
    return render(request, "whatsapp/messages.html", ctx)


@account_required()
def message_detail(request, pk, index):
    batch = get_for_account_or_404(Batch, request.account, uuid=pk)
    message = Message.objects.for_account(request.account).filter(batch=batch, index=index, channel="whatsapp").first()
    if message is None:
        raise Http404
    timeline = (
        StatusRecord.objects.for_account(request.account).filter(wamid=message.supplier_message_id)
        if message.supplier_message_id
        else []
    )
    ctx = {
        "message": message,
        "batch": batch,
        "timeline": timeline,
        "error": provider_errors.error_object(message.status_code),
    }
    return render(request, "whatsapp/message_detail.html", ctx)


def _media_page(request, form):
    items = WhatsappMedia.objects.for_account(request.account)
    return render(request, "whatsapp/media.html", {"form": form, "page": paginate(request, items)})


@account_required()
def media_page(request):
    """The media library: list, upload (checked against the kind's limits), delete."""
    return _media_page(request, MediaForm())


@require_POST
@account_required("send")
def media_upload(request):
    form = MediaForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            item = media.upload(account=request.account, kind=form.cleaned_data["type"], file=form.cleaned_data["file"])
        except ValidationFailed as exc:
            _errors_on(form, exc)
        else:
            flash.success(request, f"{item.filename} uploaded: send it with id {item.uuid}.")
            return redirect("whatsapp:media")
    return _media_page(request, form)


@require_POST
@account_required("send")
def media_delete(request, pk):
    item = get_for_account_or_404(WhatsappMedia, request.account, uuid=pk)
    media.delete(item)
    flash.success(request, f"{item.filename} deleted.")
    return redirect("whatsapp:media")
