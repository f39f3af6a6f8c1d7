"""Import wizard pages: upload -> column mapping -> run with live progress -> result and the
rejected-rows report. Every state change goes through contacts.imports.services."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from contacts.imports import services
from contacts.imports.filters import ContactImportFilterSet
from contacts.imports.forms import UploadForm
from contacts.imports.mapping import ATTRIBUTE_PREFIX, FIELD_CHOICES, attribute_key
from contacts.imports.models import ACTIVE, ContactImport, ImportStatus
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pages import csv_response, list_page


def _job(request, pk):
    return get_for_account_or_404(ContactImport, request.account, pk=pk)


def _htmx_redirect(request, url_name, *args):
    response = redirect(url_name, *args)
    if request.htmx:
        response["HX-Redirect"] = response["Location"]
        response.status_code = 204
    return response


@account_required()
def import_list(request):
    jobs = ContactImport.objects.for_account(request.account)
    return list_page(
        request,
        jobs,
        ContactImportFilterSet,
        "contacts/import_list.html",
        "contacts/partials/import_table.html",
        upload_form=UploadForm(),
        statuses=ImportStatus.choices,
        # While an import runs, the table refreshes itself to show its progress.
        has_active=jobs.filter(status__in=ACTIVE).exists(),
    )


@account_required("send")
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.create_import(
                account=request.account, upload=form.cleaned_data["file"], actor=request.user, request=request
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("contact_imports:import_detail", job.pk)
    status = 422 if form.errors else 200
    return render(request, "contacts/import_upload.html", {"upload_form": form}, status=status)


def _columns(job):
    """One row per file column for the mapping table: header, sample values, chosen field and
    the choices (the column's own attribute name offered beside the standard fields)."""
    preview = services.preview_rows(job)
    columns = []
    for index, header in enumerate(job.headers):
        key = attribute_key(header) or f"column_{index + 1}"
        choices = [*FIELD_CHOICES, (f"{ATTRIBUTE_PREFIX}{key}", f"Attribute “{key}”")]
        chosen = job.mapping[index] if index < len(job.mapping) else ""
        if chosen.startswith(ATTRIBUTE_PREFIX) and chosen != f"{ATTRIBUTE_PREFIX}{key}":
            choices.append((chosen, services.field_label(chosen)))
        samples = [row[index] for row in preview if index < len(row) and row[index].strip()][:3]
        columns.append({"index": index, "header": header, "samples": samples, "chosen": chosen, "choices": choices})
    return columns


def _mapping_page(request, job, status=200, errors=None):
    ctx = {"job": job, "columns": _columns(job), "errors": errors or []}
    template = "contacts/partials/import_mapping.html" if request.htmx else "contacts/import_detail.html"
    return render(request, template, ctx, status=status)


@account_required()
def import_detail(request, pk):
    job = _job(request, pk)
    if job.status == ImportStatus.MAPPING:
        return _mapping_page(request, job)
    _recover_if_stale(job)
    return render(request, "contacts/import_detail.html", {"job": job, "sample_rows": job.rows.all()[:10]})


@account_required("send")
@require_POST
def import_header(request, pk):
    """The "first row holds column titles" switch: re-renders the mapping table."""
    job = _job(request, pk)
    services.set_header(job=job, has_header=request.POST.get("has_header") == "1")
    return _mapping_page(request, job)


@account_required("send")
@require_POST
def import_start(request, pk):
    job = _job(request, pk)
    mapping = [request.POST.get(f"column_{i}", "") for i in range(len(job.headers))]
    tags = [t for t in request.POST.get("extra_tags", "").split(",") if t.strip()]
    try:
        services.start_import(
            job=job,
            mapping=mapping,
            replace_tags=request.POST.get("replace_tags") == "1",
            extra_tags=tags,
            actor=request.user,
            request=request,
        )
    except DomainError as exc:
        job.mapping = mapping
        messages_list = [m for ms in getattr(exc, "errors", {exc.field: [exc.message]}).values() for m in ms]
        return _mapping_page(request, job, status=422, errors=messages_list)
    return _htmx_redirect(request, "contact_imports:import_detail", job.pk)


def _recover_if_stale(job):
    if job.is_stale():
        services.recover_stale(job)
        job.refresh_from_db()


@account_required()
def import_progress(request, pk):
    """The live progress fragment; it polls itself every second until the job finishes. A workbook
    read in the background reaches its mapping step here: the page is reloaded to show it."""
    job = _job(request, pk)
    _recover_if_stale(job)
    if job.status == ImportStatus.MAPPING:
        return _htmx_redirect(request, "contact_imports:import_detail", job.pk)
    return render(request, "contacts/partials/import_progress.html", {"job": job, "sample_rows": job.rows.all()[:10]})


@account_required("send")
@require_POST
def import_cancel(request, pk):
    job = _job(request, pk)
    try:
        services.cancel_import(job=job, actor=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Import of {job.filename} cancelled; rows already imported stay.")
    if request.htmx:
        job.refresh_from_db()
        return render(
            request, "contacts/partials/import_progress.html", {"job": job, "sample_rows": job.rows.all()[:10]}
        )
    return redirect("contact_imports:import_detail", job.pk)


@account_required("send")
@require_POST
def import_delete(request, pk):
    job = _job(request, pk)
    services.delete_import(job=job, actor=request.user, request=request)
    messages.success(request, f"Import record {job.filename} deleted (its contacts stay).")
    return _htmx_redirect(request, "contact_imports:import_list")


@account_required()
def import_report(request, pk):
    """Every row the import did not apply: its number in the file, why, and its values."""
    job = _job(request, pk)
    header = ["row", "status", "reason", *job.headers]
    rows = ([r.row, r.kind, r.reason, *r.values] for r in services.rejected_rows(job))
    return csv_response(f"rejected-rows-{job.pk}.csv", header, rows)
