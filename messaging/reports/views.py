"""Report pages: the dashboard, its live campaigns fragment, the delivery report (filtered
messages by keyset), a campaign's report and the credit reconciliation."""

from django.shortcuts import render

from accounts.permissions import account_required
from messaging.pipeline.models import Batch
from messaging.reports import campaigns, dashboard, delivery, reconciliation
from messaging.reports.forms import DeliveryFilterForm, ThresholdForm
from messaging.reports.models import ReportSettings
from portal.core.tenancy import get_for_account_or_404


@account_required()
def dashboard_page(request):
    period = request.GET.get("period", "7d")
    if period not in dashboard.PERIODS:
        period = "7d"
    settings_row = ReportSettings.for_account(request.account)
    ctx = {
        "figures": dashboard.figures(request.account, period),
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
    form = DeliveryFilterForm(request.account, request.GET or None)
    page = delivery.page(request.account, form.filters(), after=request.GET.get("after", ""), order=form.sort_order())
    ctx = {"form": form, "page": page, "query": form.query_without_cursor()}
    template = "reports/partials/delivery_table.html" if request.htmx else "reports/delivery.html"
    return render(request, template, ctx)


@account_required()
def campaign_report(request, pk):
    batch = get_for_account_or_404(Batch.objects.select_related("product"), request.account, uuid=pk)
    return render(request, "reports/campaign.html", {"batch": batch, "report": campaigns.report(batch)})


@account_required()
def credit_reconciliation(request):
    period = request.GET.get("period", "30d")
    if period not in dashboard.PERIODS:
        period = "30d"
    ctx = {"rec": reconciliation.by_day_and_campaign(request.account, period), "periods": dashboard.PERIODS}
    return render(request, "reports/credits.html", ctx)
