"""Customer pages for sender IDs and DLT templates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from messaging.senders import services
from messaging.senders.filters import SenderFilterSet, TemplateFilterSet
from messaging.senders.forms import SenderForm, TemplateForm
from messaging.senders.models import ReviewStatus, Sender, Template, TemplateType
from messaging.suppressions.forms import ImportForm
from messaging.suppressions.models import ImportJob, ImportKind
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pages import csv_response, list_page, save_dialog


def _senders(request):
    return Sender.objects.for_account(request.account).select_related("product")


def _templates(request):
    return Template.objects.for_account(request.account).select_related("sender")


@account_required()
def sender_list(request):
    return list_page(
        request,
        _senders(request),
        SenderFilterSet,
        "messaging/sender_list.html",
        "messaging/partials/sender_table.html",
        statuses=ReviewStatus.choices,
        **_import_context(request, ImportKind.SENDERS),
    )


def _import_context(request, kind):
    jobs = ImportJob.objects.for_account(request.account).filter(kind=kind)[:3]
    return {"jobs": jobs, "import_form": ImportForm()}


@account_required("send")
def sender_create(request):
    form = SenderForm(request.POST or None, request.FILES or None, account=request.account)
    return save_dialog(
        request,
        form,
        lambda data: services.create_sender(account=request.account, data=data, actor=request.user, request=request),
        success=lambda s: f"Sender ID {s.name} submitted for approval (usually within 30 minutes).",
        list_url="senders:sender_list",
        template="sender_form",
    )


@account_required("send")
def sender_edit(request, pk):
    sender = get_for_account_or_404(_senders(request), request.account, uuid=pk)
    initial = {
        "name": sender.name,
        "service": sender.product.code,
        "country_code": sender.iso,
        "entity_id": sender.entity_id,
        "entity_name": sender.entity_name,
    }
    form = SenderForm(request.POST or None, request.FILES or None, account=request.account, initial=initial)

    def save(data):
        data = {k: v for k, v in data.items() if k != "document" or v}  # no new file: keep the old one
        return services.update_sender(sender=sender, data=data, actor=request.user, request=request)

    return save_dialog(
        request,
        form,
        save,
        success=lambda s: f"Sender ID {s.name} updated and sent for review again.",
        list_url="senders:sender_list",
        template="sender_form",
        sender=sender,
    )


@account_required("send")
@require_POST
def sender_delete(request, pk):
    sender = get_for_account_or_404(_senders(request), request.account, uuid=pk)
    try:
        services.delete_sender(sender=sender, actor=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Sender ID {sender.name} deleted.")
    return redirect("senders:sender_list")


@account_required()
def sender_export(request):
    filterset = SenderFilterSet(request.GET, queryset=_senders(request))
    rows = (
        [
            s.name,
            s.product.code,
            s.iso,
            s.entity_id,
            s.entity_name,
            s.get_status_display(),
            s.review_message,
            s.created_at.isoformat(),
        ]
        for s in filterset.qs.iterator(chunk_size=2000)
    )
    return csv_response(
        "senders.csv", ["name", "service", "iso", "entity_id", "entity_name", "status", "message", "created_at"], rows
    )


@account_required()
def template_list(request):
    return list_page(
        request,
        _templates(request),
        TemplateFilterSet,
        "messaging/template_list.html",
        "messaging/partials/template_table.html",
        statuses=ReviewStatus.choices,
        types=TemplateType.choices,
        **_import_context(request, ImportKind.TEMPLATES),
    )


@account_required("send")
def template_create(request):
    form = TemplateForm(request.POST or None, account=request.account)
    return save_dialog(
        request,
        form,
        lambda data: services.create_template(account=request.account, data=data, actor=request.user, request=request),
        success=lambda t: f"Template “{t.name}” submitted for approval.",
        list_url="senders:template_list",
        template="template_form",
    )


@account_required("send")
def template_edit(request, pk):
    template = get_for_account_or_404(_templates(request), request.account, uuid=pk)
    initial = {
        "sender": str(template.sender.uuid),
        "name": template.name,
        "type": template.type,
        "template_id": template.template_id,
        "body": template.body,
    }
    form = TemplateForm(request.POST or None, account=request.account, initial=initial)
    return save_dialog(
        request,
        form,
        lambda data: services.update_template(template=template, data=data, actor=request.user, request=request),
        success=lambda t: f"Template “{t.name}” updated and sent for review again.",
        list_url="senders:template_list",
        template="template_form",
        template_obj=template,
    )


@account_required("send")
@require_POST
def template_delete(request, pk):
    template = get_for_account_or_404(_templates(request), request.account, uuid=pk)
    services.delete_template(template=template, actor=request.user, request=request)
    messages.success(request, f"Template “{template.name}” deleted.")
    return redirect("senders:template_list")


@account_required()
def template_export(request):
    filterset = TemplateFilterSet(request.GET, queryset=_templates(request))
    rows = (
        [
            t.name,
            t.alias,
            t.sender.name,
            t.template_id,
            t.type,
            t.body,
            t.get_status_display(),
            t.review_message,
            t.created_at.isoformat(),
        ]
        for t in filterset.qs.iterator(chunk_size=2000)
    )
    return csv_response(
        "templates.csv",
        ["name", "alias", "sender", "template_id", "type", "body", "status", "message", "created_at"],
        rows,
    )


@login_required
def sender_document(request, pk):
    """The uploaded letter of authorisation: for the owning account's members and for staff only."""
    qs = Sender.objects.all() if request.user.is_staff else Sender.objects.for_account(request.account)
    sender = get_object_or_404(qs, uuid=pk)
    if not sender.document:
        raise Http404("No document.")
    return FileResponse(sender.document.open("rb"), as_attachment=False, filename=sender.document.name.split("/")[-1])
