"""Report pages: the dashboard, its live campaigns fragment, the delivery report (filtered
messages by keyset), a campaign's report and the credit reconciliation."""

from urllib.parse import quote

from django.conf import settings as django_settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import account_required, staff_required
from messaging.pipeline import compose
from messaging.pipeline.models import Batch
from messaging.reports import (
    campaigns,
    dashboard,
    delivery,
    exports,
    margins,
    message_detail,
    reconciliation,
    schedules,
    staff,
    statuses,
)
from messaging.reports.forms import DeliveryFilterForm, RouteCostForm, ScheduleForm, ThresholdForm
from messaging.reports.models import ExportJob, ExportStatus, ReportSettings, RouteCost, ScheduledReport
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404


@account_required()
def dashboard_page(request):
    period = request.GET.get("period", "7d")
    if period not in dashboard.PERIODS:
        period = "7d"
    settings_row = ReportSettings.for_account(request.account)
    operator = request.GET.get("operator", "")[:40]
    ctx = {
        "figures": dashboard.figures(request.account, period, **({"operator": operator} if operator else {})),
        "operator": operator,
        "operators": dashboard.operators(request.account),
        "filter_query": f"&operator={quote(operator)}" if operator else "",
        "periods": dashboard.PERIODS,
        "running": dashboard.running_campaigns(request.account),
        "threshold_form": ThresholdForm(instance=settings_row),
    }
    template = "reports/partials/dashboard_body.html" if request.htmx else "reports/dashboard.html"
    return render(request, template, ctx)


@account_required()
def running_campaigns(request):
    """Polled by the dashboard (HTMX, every few seconds) while campaigns are running."""
    return render(request, "reports/partials/running.html", {"running": dashboard.running_campaigns(request.account)})


@account_required()
def threshold(request):
    """The delivery rate below which the account is told (notification and event)."""
    settings_row = ReportSettings.for_account(request.account)
    form = ThresholdForm(request.POST or None, instance=settings_row)
    saved = request.method == "POST" and form.is_valid()
    if saved:
        form.save()
    status = 422 if request.method == "POST" and not saved else 200
    return render(request, "reports/partials/threshold.html", {"threshold_form": form, "saved": saved}, status=status)


@account_required()
def delivery_report(request):
    # A message id typed into the search goes straight to that message.
    if found := message_detail.parse_public_id(request.GET.get("id", "")):
        return redirect("reports:message", pk=found[0], index=found[1])
    form = DeliveryFilterForm(request.account, request.GET or None)
    page = delivery.page(request.account, form.filters(), after=request.GET.get("after", ""), order=form.sort_order())
    ctx = {"form": form, "page": page, "query": form.query_without_cursor()}
    template = "reports/partials/delivery_table.html" if request.htmx else "reports/delivery.html"
    return render(request, template, ctx)


@account_required()
def status_codes(request):
    rows, seen = [], set()
    for row in statuses.table():  # the first row of each status is its anchor (#DELIVRD)
        rows.append((row, row.status not in seen))
        seen.add(row.status)
    return render(request, "reports/status_codes.html", {"rows": rows})


@account_required()
def message_page(request, pk, index):
    message = message_detail.find(request.account, pk, index)
    if message is None:
        raise Http404("No such message.")
    return render(request, "reports/message.html", {"d": message_detail.detail(request.account, message)})


@account_required()
def campaign_report(request, pk):
    batch = get_for_account_or_404(Batch.objects.select_related("product"), request.account, uuid=pk)
    ctx = {
        "batch": batch,
        "report": campaigns.report(batch),
        "content": campaigns.content(batch),
        "cancellable": campaigns.cancellable(batch),
        # Retry failed / send to the ones who didn't get it: the composer's follow-ups (SMS).
        "follow_ups": compose.follow_up_counts(request.account, batch) if batch.channel == "sms" else [],
    }
    return render(request, "reports/campaign.html", ctx)


@account_required()
def credit_reconciliation(request):
    period = request.GET.get("period", "30d")
    if period not in dashboard.PERIODS:
        period = "30d"
    ctx = {"rec": reconciliation.by_day_and_campaign(request.account, period), "periods": dashboard.PERIODS}
    return render(request, "reports/credits.html", ctx)


@account_required()
def export_list(request):
    jobs = ExportJob.objects.for_account(request.account)[:50]
    ctx = {"jobs": jobs, "retention_days": django_settings.EXPORT_RETENTION_DAYS}
    return render(request, "reports/exports.html", ctx)


@account_required()
@require_POST
def export_create(request):
    """Start an export of the delivery report with the filters it was showing."""
    fmt = request.POST.get("format", "")
    try:
        job, created = exports.request_export(
            request.account,
            query=request.POST,
            fmt=fmt,
            user=request.user,
            email_to=request.user.email if request.POST.get("email") else "",
        )
    except DomainError as exc:
        messages.error(request, f"The export could not start: {exc}")
        return redirect("reports:delivery")
    if created:
        messages.success(request, f"Export started: {job.get_format_display()}.")
    else:
        messages.info(request, "The same export is already running: here it is.")
    return redirect("reports:exports")


@account_required()
def export_status(request, pk):
    """One job's row; the exports page polls it while the job runs."""
    job = get_for_account_or_404(ExportJob, request.account, uuid=pk)
    return render(request, "reports/partials/export_row.html", {"job": job})


@account_required()
def export_download(request, pk):
    job = get_for_account_or_404(ExportJob, request.account, uuid=pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404("This export has no file.")
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
    response["X-Checksum-SHA256"] = job.checksum
    return response


@account_required()
@require_POST
def export_cancel(request, pk):
    job = get_for_account_or_404(ExportJob, request.account, uuid=pk)
    exports.cancel(job)
    job.refresh_from_db()
    if request.htmx:
        return render(request, "reports/partials/export_row.html", {"job": job})
    return redirect("reports:exports")


@account_required()
def schedule_list(request):
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        schedules.create(
            request.account,
            user=request.user,
            name=form.cleaned_data["name"],
            frequency=form.cleaned_data["frequency"],
            fmt=form.cleaned_data["format"],
            filters=form.filters(),
            recipients=form.cleaned_data["recipients"],
            pdf_summary=form.cleaned_data["pdf_summary"],
        )
        messages.success(request, "Report scheduled.")
        return redirect("reports:schedules")
    ctx = {"form": form, "schedules": ScheduledReport.objects.for_account(request.account)}
    return render(request, "reports/schedules.html", ctx, status=422 if form.errors else 200)


@account_required()
def schedule_summary(request, pk):
    """The PDF summary of the schedule's latest period, as its e-mail attaches it."""
    schedule = get_for_account_or_404(ScheduledReport.objects.select_related("account"), request.account, uuid=pk)
    first, last = schedules.last_period(schedule)
    response = HttpResponse(schedules.summary_pdf(schedule, first, last), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{schedules.summary_filename(schedule, first, last)}"'
    return response


@account_required()
@require_POST
def schedule_delete(request, pk):
    schedule = get_for_account_or_404(ScheduledReport, request.account, uuid=pk)
    schedule.delete()
    messages.success(request, f"Scheduled report {schedule.name} deleted.")
    return redirect("reports:schedules")


@staff_required
def staff_reports(request):
    period = request.GET.get("period", "7d")
    if period not in dashboard.PERIODS:
        period = "7d"
    window = request.GET.get("window", "24h")
    form = RouteCostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = margins.save_cost(**form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{row.supplier} to {row.iso} costs {row.cost_per_unit} per unit.")
            return redirect("staff_reports:overview")
    ctx = {
        "period": period,
        "periods": dashboard.PERIODS,
        "customers": staff.customers(period),
        "suppliers": staff.suppliers(),
        "margins": margins.routes(window),
        "windows": margins.WINDOWS,
        "costs": RouteCost.objects.all(),
        "cost_form": form,
    }
    return render(request, "reports/staff.html", ctx, status=422 if form.errors else 200)


@staff_required
@require_POST
def route_cost_delete(request, pk):
    RouteCost.objects.filter(pk=pk).delete()
    return redirect("staff_reports:overview")
