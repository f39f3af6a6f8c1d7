from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from accounts.models import AuditEvent, LedgerEntry
from accounts.permissions import account_required
from accounts.services import credits


@account_required()
def dashboard(request):
    account = request.account
    ctx = {
        "balance": credits.balance(account),
        "ledger": LedgerEntry.objects.for_account(account).select_related("actor")[:8],
        "activity": AuditEvent.objects.for_account(account).select_related("actor")[:8],
        "active_keys": account.api_keys.active().count(),
        "members": account.memberships.count(),
    }
    return render(request, "dashboard.html", ctx)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
