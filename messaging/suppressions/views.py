"""Customer pages: unsubscribers and blocked templates, with imports that show progress."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from messaging import consent
from messaging.suppressions import importers, services
from messaging.suppressions.filters import BlockedTemplateFilterSet, UnsubscriberFilterSet
from messaging.suppressions.forms import BlockedTemplateForm, ImportForm, UnsubscriberForm, UrlImportForm
from messaging.suppressions.models import BlockedTemplate, Channel, ImportJob, ImportKind, ScopeType, Unsubscriber
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pages import csv_response, list_page, save_dialog

KINDS = {
    "unsubscribers": {
        "kind": ImportKind.UNSUBSCRIBERS,
        "list": "suppressions:unsubscriber_list",
        "label": "unsubscribers",
    },
    "blocked-templates": {
        "kind": ImportKind.BLOCKED_TEMPLATES,
        "list": "suppressions:blocked_list",
        "label": "blocked templates",
        "form": UrlImportForm,
    },
    "senders": {"kind": ImportKind.SENDERS, "list": "senders:sender_list", "label": "sender IDs"},
    "templates": {"kind": ImportKind.TEMPLATES, "list": "senders:template_list", "label": "templates"},
}


def _unsubscribers(request):
    return Unsubscriber.objects.for_account(request.account).filter(channel=Channel.SMS)


def _recent_jobs(request, kind):
    return ImportJob.objects.for_account(request.account).filter(kind=kind)[:3]


@account_required()
def unsubscriber_list(request):
    return list_page(
        request,
        _unsubscribers(request),
        UnsubscriberFilterSet,
        "messaging/unsubscriber_list.html",
        "messaging/partials/unsubscriber_table.html",
        types=ScopeType.choices,
        jobs=_recent_jobs(request, ImportKind.UNSUBSCRIBERS),
        import_form=ImportForm(),
    )


@account_required("send")
def unsubscriber_create(request):
    form = UnsubscriberForm(request.POST or None)
    return save_dialog(
        request,
        form,
        lambda data: consent.opt_out(
            account=request.account,
            channel=Channel.SMS,
            actor=request.user,
            request=request,
            **services.scope_fields(data),
        ),
        success=lambda u: f"{u.receiver} will not receive messages ({u.get_type_display()}).",
        list_url="suppressions:unsubscriber_list",
        template="unsubscriber_form",
    )


@account_required("send")
def unsubscriber_edit(request, pk):
    unsub = get_for_account_or_404(_unsubscribers(request), request.account, uuid=pk)
    initial = {"receiver": unsub.receiver, "type": unsub.type, "value": "" if unsub.type == "all" else unsub.value}
    form = UnsubscriberForm(request.POST or None, initial=initial)
    return save_dialog(
        request,
        form,
        lambda data: consent.edit_opt_out(
            entry=unsub, actor=request.user, request=request, **services.scope_fields(data, unsub)
        ),
        success=lambda u: f"{u.receiver} updated.",
        list_url="suppressions:unsubscriber_list",
        template="unsubscriber_form",
        unsub=unsub,
    )


@account_required("send")
@require_POST
def unsubscriber_delete(request, pk):
    unsub = get_for_account_or_404(_unsubscribers(request), request.account, uuid=pk)
    consent.opt_in(
        account=request.account,
        channel=unsub.channel,
        receiver=unsub.receiver,
        scope=unsub.type,
        value=unsub.value,
        actor=request.user,
        request=request,
    )
    messages.success(request, f"{unsub.receiver} removed from the unsubscribers.")
    return redirect("suppressions:unsubscriber_list")


@account_required("send")
@require_POST
def unsubscriber_clean(request):
    deleted = consent.clear_opt_outs(account=request.account, channel=Channel.SMS, actor=request.user, request=request)
    messages.success(request, f"{deleted} unsubscriber{pluralize(deleted)} deleted.")
    return redirect("suppressions:unsubscriber_list")


@account_required()
def unsubscriber_export(request):
    filterset = UnsubscriberFilterSet(request.GET, queryset=_unsubscribers(request))
    rows = (
        [u.receiver, u.iso, u.type, u.value, u.created_at.isoformat()] for u in filterset.qs.iterator(chunk_size=5000)
    )
    return csv_response("unsubscribers.csv", ["receiver", "iso", "type", "value", "created_at"], rows)


@account_required()
def blocked_list(request):
    qs = BlockedTemplate.objects.for_account(request.account)
    return list_page(
        request,
        qs,
        BlockedTemplateFilterSet,
        "messaging/blocked_list.html",
        "messaging/partials/blocked_table.html",
        jobs=_recent_jobs(request, ImportKind.BLOCKED_TEMPLATES),
        import_form=UrlImportForm(),
    )


@account_required("send")
def blocked_create(request):
    form = BlockedTemplateForm(request.POST or None)
    return save_dialog(
        request,
        form,
        lambda data: services.add_blocked_template(
            account=request.account, data=data, actor=request.user, request=request
        ),
        success=lambda b: f"Template {b.template_id} blocked.",
        list_url="suppressions:blocked_list",
        template="blocked_form",
    )


@account_required("send")
@require_POST
def blocked_toggle(request, pk):
    block = get_for_account_or_404(BlockedTemplate, request.account, uuid=pk)
    services.update_blocked_template(
        block=block, data={"status": "0" if block.is_active else "1"}, actor=request.user, request=request
    )
    return redirect("suppressions:blocked_list")


@account_required("send")
@require_POST
def blocked_delete(request, pk):
    block = get_for_account_or_404(BlockedTemplate, request.account, uuid=pk)
    services.delete_blocked_template(block=block, actor=request.user, request=request)
    messages.success(request, f"Template {block.template_id} unblocked and removed.")
    return redirect("suppressions:blocked_list")


@account_required("send")
@require_POST
def blocked_clean(request):
    deleted = services.clean_blocked_templates(account=request.account, actor=request.user, request=request)
    messages.success(request, f"{deleted} blocked template{pluralize(deleted)} deleted.")
    return redirect("suppressions:blocked_list")


@account_required()
def blocked_export(request):
    filterset = BlockedTemplateFilterSet(request.GET, queryset=BlockedTemplate.objects.for_account(request.account))
    rows = ([b.template_id, int(b.is_active), b.created_at.isoformat()] for b in filterset.qs.iterator(chunk_size=5000))
    return csv_response("blocked-templates.csv", ["template_id", "status", "created_at"], rows)


@account_required("send")
@require_POST
def import_start(request, what):
    spec = KINDS.get(what)
    if spec is None:
        raise Http404
    form = spec.get("form", ImportForm)(request.POST, request.FILES)
    if form.is_valid():
        upload, url = form.cleaned_data["file"], (form.cleaned_data.get("url") or "").strip()
        try:
            if upload:
                job = importers.start_file_import(
                    account=request.account, kind=spec["kind"], upload=upload, actor=request.user
                )
            else:
                job = importers.start_url_import(
                    account=request.account, kind=spec["kind"], url=url, actor=request.user
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Import of {job.filename} started.")
    else:
        errors = [m for ms in form.errors.values() for m in ms]
        messages.error(request, errors[0] if errors else "Choose a file to import.")
    return redirect(spec["list"])


@account_required()
def import_status(request, pk):
    """The job's progress fragment; the page polls it until the job finishes."""
    job = get_for_account_or_404(ImportJob, request.account, uuid=pk)
    response = render(request, "messaging/partials/import_job.html", {"job": job})
    if job.finished and request.htmx:
        # The last poll of a job: the page's list reloads itself (its table listens for this).
        response["HX-Trigger"] = "importFinished"
    return response


@account_required()
def import_report(request, pk):
    job = get_for_account_or_404(ImportJob, request.account, uuid=pk)
    if not job.report:
        raise Http404("No rejected rows.")
    return FileResponse(job.report.open("rb"), as_attachment=True, filename=f"rejected-rows-{job.filename}")
