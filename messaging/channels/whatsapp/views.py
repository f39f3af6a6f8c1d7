"""WhatsApp pages: business numbers, templates (list, builder with a live phone preview, status),
the composer (the pipeline's own quote as its preview), the inbox with replies, and the messages
with their status timeline."""

from django.contrib import messages as flash
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from messaging.channels.whatsapp import builder, composer, inbox, media, message_templates
from messaging.channels.whatsapp import errors as provider_errors
from messaging.channels.whatsapp.forms import (
    ComposeForm,
    MediaForm,
    ReplyForm,
    TemplateForm,
    initial_from,
    number_templates,
)
from messaging.channels.whatsapp.models import (
    STATUS_FILTER,
    BusinessNumber,
    StatusRecord,
    WhatsappMedia,
    WhatsappTemplate,
)
from messaging.channels.whatsapp.sending import submit
from messaging.pipeline.models import Batch, Message
from portal import composer as composer_page
from portal.core.errors import DomainError, ValidationFailed
from portal.core.tenancy import get_for_account_or_404, is_uuid
from portal.pages import form_errors_from
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


def _builder(request, form, step, found=None, *, moved=False, status=200):
    """The builder at `step`: its fields with their problems (a problem on a field this step does
    not show goes on top), the rest carried hidden, and the phone preview."""
    found = dict(found or {})
    rows = builder.rows(form, step, found)
    shown = {row.name for row in rows}
    on_top = [m for name, messages in found.items() if name not in shown for m in messages]
    ctx = {
        "form": form,
        "step": step,
        "steps": builder.STEPS,
        "step_label": dict(builder.STEPS)[step],
        "last": builder.LAST,
        "rows": rows,
        "on_top": on_top,
        "carried": builder.carried(form, step),
        "preview": builder.preview(form),
        "review": builder.review(form) if step == builder.LAST else [],
        "meta": (form.value_of("kind") or "template") == "template",
        "moved": moved,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "whatsapp/partials/template_builder.html", ctx, status=status)
    return render(request, "whatsapp/template_new.html", ctx, status=status)


@account_required("send")
def template_new(request):
    """The builder, one step at a time (Next validates the steps so far with the API's rules,
    Back keeps what was typed); the last step submits. `?from=<id>` starts from a copy of a
    template (a rejected one, to correct)."""
    if request.method != "POST":
        initial = {}
        source = request.GET.get("from", "")
        if is_uuid(source):
            found = WhatsappTemplate.objects.for_account(request.account).select_related("number").filter(uuid=source)
            if found.exists():
                initial = initial_from(found.first())
        return _builder(request, TemplateForm(account=request.account, initial=initial), 1)
    form = TemplateForm(request.POST, account=request.account)
    step, go = builder.step_from(request.POST), request.POST.get("go", "next")
    if go == "back":
        return _builder(request, form, max(1, step - 1), moved=True)
    if go == "refresh":
        return _builder(request, form, step, builder.problems(form, step, only=step, typed_only=True))
    found = builder.problems(form, step)
    if found:
        return _builder(request, form, builder.first_step(form, found), found, moved=True, status=422)
    if step < builder.LAST:
        return _builder(request, form, step + 1, moved=True)
    try:
        template = message_templates.create(account=request.account, data=form.payload())
    except DomainError as exc:
        errors = getattr(exc, "errors", None) or {exc.field or "": [exc.message]}
        found = {}
        for path, messages in errors.items():
            found.setdefault(form.field_for(path), []).extend(messages)
        return _builder(request, form, builder.first_step(form, found), found, moved=True, status=422)
    flash.success(
        request,
        f"Template {template.name} saved" + (" and sent to Meta's review." if not template.is_conversation else "."),
    )
    destination = reverse("whatsapp:template_detail", args=[template.uuid])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = destination
        return response
    return redirect(destination)


@account_required("send")
def template_preview(request):
    """The live check (HTMX, debounced, on every edit): the phone preview, and beside each field of
    the step its problems by the API's rules and its character count (out of band)."""
    form = TemplateForm(request.POST, account=request.account)
    step = builder.step_from(request.POST)
    found = builder.problems(form, step, only=step, typed_only=True)
    ctx = {"preview": builder.preview(form), "rows": builder.rows(form, step, found), "live": True}
    ctx["problem_count"] = sum(len(row.errors) for row in ctx["rows"])
    return render(request, "whatsapp/partials/template_live.html", ctx)


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


def _compose_data(request):
    """The composer's values as a dict (`var_*` included), for the preview and the send alike."""
    data = {key: request.POST.get(key, "") for key in request.POST if key not in ("segments", "csrfmiddlewaretoken")}
    data["segments"] = request.POST.getlist("segments")
    return data


def _message_fields(form, kind, composition=None, values=None):
    """The message type's fields (and an approved template's values) with their problems."""
    template = composition.template if composition is not None else None
    variables = composition.variables if composition is not None else []
    if composition is None and kind == "template":
        template = composer.find_template(form.account, (values or {}).get("template"))
        variables = composer.template_variables(template, values or {}) if template is not None else []
    found = composer.rows(form, kind, composition)
    return {
        "kind": kind,
        "rows": found,
        "template": template,
        "variables": variables,
        "named": composer.named(form, found, variables, composition),
    }


def _compose_page(request, form, composition=None, status=200):
    data = form.data if form.is_bound else form.initial
    kind = data.get("message_type") or "text"
    ctx = {"form": form, "fields": _message_fields(form, kind, composition, data)}
    return render(request, "whatsapp/compose.html", ctx, status=status)


@account_required("send")
def compose(request):
    form = ComposeForm(
        request.POST or None,
        request.FILES or None,
        account=request.account,
        initial={"segments": request.GET.getlist("segment"), "message_type": request.GET.get("type", "text")},
    )
    if request.method != "POST" or "refresh" in request.POST:
        return _compose_page(request, form)
    if not form.is_valid():
        return _compose_page(request, form, status=422)
    data = {**_compose_data(request), **form.cleaned_data}
    try:
        composition = composer.compose_send(request.account, data, files=[data["file"]] if data.get("file") else [])
        if composition.problem_count:
            shown = composer.TYPE_FIELDS.get(composition.kind, ())
            for name, messages in composition.problems.items():
                for message in messages if name not in shown else ():
                    form.add_error(name if name in form.fields else None, message)
            return _compose_page(request, form, composition, status=422)
        submission = submit(account=request.account, outgoing=composition.outgoing, actor=request.user, source="portal")
    except DomainError as exc:
        form_errors_from(form, exc)
        return _compose_page(request, form, status=422)
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


@account_required("send")
def compose_fields(request):
    """The fields of the chosen message type, or of the chosen template's values (HTMX, when the
    type or the template picker changes); the summary is asked again once they are in."""
    form = ComposeForm(request.GET, account=request.account)
    kind = request.GET.get("message_type") or "text"
    ctx = {"form": form, "fields": _message_fields(form, kind, values=request.GET)}
    response = render(request, "whatsapp/partials/compose_message_fields.html", ctx)
    response["HX-Trigger-After-Settle"] = "fieldsChanged"
    return response


@account_required("send")
def compose_preview(request):
    """The summary beside the composer (HTMX, on every edit, the file included): every field's
    problems by the API's rules (out of band, beside the fields), then the send's own dry run and
    the send button's words."""
    form = ComposeForm(request.POST, account=request.account)
    data = _compose_data(request)
    files = request.FILES.getlist("file")[:1]
    composition = composer.compose_send(request.account, data, files=files, strict=False)
    composer.hide_untouched(composition, data)
    result = composer.estimate(request.account, composition)
    ctx = {
        "estimate": result,
        "summary": result.summary,
        "audience": composition.audience,
        "composition": composition,
        "fields": _message_fields(form, composition.kind, composition),
        "live": True,
    }
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


def _reply_form(request, number, customer, data=None):
    url = reverse("whatsapp:reply_values", args=[number.pk, customer])
    return ReplyForm(data, account=request.account, number=number, values_url=url)


def _reply_template(request, number, values):
    """The picked template (one of the number's approved ones) and its values as fields, or
    (None, []) for a text reply."""
    if (values.get("message_type") or "text") != "template" or not is_uuid(values.get("template") or ""):
        return None, []
    template = number_templates(request.account, number).filter(uuid=values["template"]).first()
    if template is None:
        return None, []
    return template, composer.template_variables(template, values)


@account_required()
def conversation(request, number_id, customer):
    number = _conversation(request, number_id, customer)
    return _render_conversation(request, number, customer, _reply_form(request, number, customer))


def _render_conversation(request, number, customer, form, status=200, *, template=None, variables=()):
    ctx = {
        "number": number,
        "customer": customer,
        "thread": inbox.thread(request.account, number, customer),
        "window": inbox.window_of(number, customer),
        "form": form,
        "reply_template": template,
        "reply_variables": list(variables),
        # Whose fields a reply's merge fields take (the reply's own composition reads them again).
        "merge_contact": composer.contact_of(request.account, customer),
    }
    page = (
        "whatsapp/partials/conversation.html"
        if request.htmx and not request.htmx.boosted
        else "whatsapp/conversation.html"
    )
    return render(request, page, ctx, status=status)


@account_required("send")
def reply_values(request, number_id, customer):
    """The picked template's value fields below the reply's template picker (HTMX)."""
    number = _conversation(request, number_id, customer)
    values = {**request.GET.dict(), "message_type": "template"}
    template, variables = _reply_template(request, number, values)
    ctx = {"reply_template": template, "reply_variables": variables}
    return render(request, "whatsapp/partials/reply_values.html", ctx)


def _send_reply(request, form, number, customer):
    """The reply as the composer composes a send (`composer.compose_send`: merge fields from this
    customer's contact, Meta's limits, a template's values one field each) to this one customer.
    Problems go on the form (a template value's beside it); returns the template values shown."""
    data = {**_compose_data(request), **form.cleaned_data, "recipients": customer, "sender": number.number}
    data["segments"] = []
    try:
        composition = composer.compose_send(request.account, data)
    except DomainError as exc:
        _errors_on(form, exc)
        return []
    if composition.problem_count:
        for name, messages in composition.problems.items():
            for message in messages:
                form.add_error(name if name in ("text", "template") else None, message)
        if any(v.problems for v in composition.variables):
            form.add_error(None, "Check the template's values below.")
        return composition.variables
    try:
        submission = submit(account=request.account, outgoing=composition.outgoing, actor=request.user, source="inbox")
    except DomainError as exc:
        _errors_on(form, exc)
        return composition.variables
    item = submission.items[0]
    if item["status"] == "notallowed":
        form.add_error(None, item["error"]["reason"])
    return composition.variables


@require_POST
@account_required("send")
def reply(request, number_id, customer):
    """Answer inside the window (free-form) or with an approved template; the pipeline's rules apply."""
    number = _conversation(request, number_id, customer)
    form = _reply_form(request, number, customer, request.POST)
    template, variables = _reply_template(request, number, request.POST)
    if "refresh" in request.POST:  # without JavaScript: the picked template's fields, nothing sent
        return _render_conversation(request, number, customer, form, template=template, variables=variables)
    if form.is_valid():
        variables = _send_reply(request, form, number, customer) or variables
        if not form.errors:  # sent: a fresh form under the thread
            form, template, variables = _reply_form(request, number, customer), None, []
    status = 422 if form.errors else 200
    return _render_conversation(request, number, customer, form, status, template=template, variables=variables)


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
