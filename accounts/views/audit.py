"""The account's audit log (owners)."""

from django.shortcuts import render

from accounts.filters import AuditEventFilterSet
from accounts.models import AuditEvent
from accounts.permissions import account_required
from accounts.services.audit import action_label
from portal.pagination import paginate


def audit_context(request, queryset):
    filterset = AuditEventFilterSet(request.GET, queryset=queryset.select_related("actor", "account"))
    present = sorted(set(queryset.values_list("action", flat=True).distinct()))
    return {
        "filterset": filterset,
        "page": paginate(request, filterset.qs),
        "actions": [(a, action_label(a)) for a in present],
    }


@account_required("view_audit")
def audit_log(request):
    ctx = audit_context(request, AuditEvent.objects.for_account(request.account))
    if request.htmx and not request.htmx.boosted:
        return render(request, "accounts/partials/audit_table.html", ctx)
    return render(request, "accounts/audit_log.html", ctx)
