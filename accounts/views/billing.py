"""Credits: the account's ledger (with CSV export) and a reseller's customers."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import receipts
from accounts.filters import LedgerEntryFilterSet
from accounts.forms import ChildCustomerForm, TransferForm
from accounts.models import Account, LedgerEntry
from accounts.permissions import account_required
from accounts.services import balance_alerts, credits, view_as
from accounts.services.customers import create_invited_customer
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pages import csv_response
from portal.pagination import paginate

LEDGER_COLUMNS = ["time", "kind", "amount", "balance_after", "reason", "reference", "actor"]


def _ledger_rows(queryset):
    for e in queryset.iterator(chunk_size=2000):
        yield [
            e.created_at.isoformat(),
            e.kind,
            e.amount,
            e.balance_after,
            e.reason,
            e.reference,
            e.actor.email if e.actor else "",
        ]


@account_required()
def ledger_list(request):
    entries = LedgerEntry.objects.for_account(request.account).select_related("actor")
    filterset = LedgerEntryFilterSet(request.GET, queryset=entries)
    if request.GET.get("format") == "csv":
        return csv_response(f"credits-{request.account.username}.csv", LEDGER_COLUMNS, _ledger_rows(filterset.qs))
    ctx = {"filterset": filterset, "page": paginate(request, filterset.qs), "balance": credits.balance(request.account)}
    if request.htmx and not request.htmx.boosted:
        return render(request, "accounts/partials/ledger_table.html", ctx)
    return render(request, "accounts/ledger_list.html", ctx)


def receipt_response(entry):
    """The entry's PDF receipt as a download (404 for a movement that has none, such as a charge)."""
    if not entry.has_receipt:
        raise Http404("This movement has no receipt.")
    response = HttpResponse(receipts.render(entry), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipts.filename(entry)}"'
    return response


@account_required()
def ledger_receipt(request, entry_id):
    entries = LedgerEntry.objects.select_related("account__parent", "wallet", "actor")
    return receipt_response(get_for_account_or_404(entries, request.account, uuid=entry_id))


@account_required("manage_credits")
@require_POST
def balance_alert(request):
    """Set or clear the low-balance alert threshold; HTMX gets the panel back."""
    ctx = {}
    try:
        balance_alerts.set_threshold(
            account=request.account, value=request.POST.get("threshold"), actor=request.user, request=request
        )
    except DomainError as exc:
        ctx["alert_error"] = exc.message
        request.account.refresh_from_db(fields=["low_balance_threshold"])
    else:
        ctx["alert_saved"] = True
    if request.htmx:
        return render(request, "accounts/partials/balance_alert.html", ctx, status=422 if "alert_error" in ctx else 200)
    if "alert_error" in ctx:
        messages.error(request, ctx["alert_error"])
    else:
        messages.success(request, "Low-balance alert saved.")
    return redirect("accounts:ledger_list")


def _reseller(request):
    if not request.account.is_reseller:
        raise Http404("Not a reseller account.")
    return request.account


def _children_context(request, **extra):
    children = Account.objects.filter(parent=_reseller(request)).prefetch_related("wallets").order_by("name")
    q = request.GET.get("q", "").strip()
    if q:
        children = children.filter(name__icontains=q) | children.filter(username__icontains=q)
    return {
        "page": paginate(request, children),
        "q": q,
        "balance": credits.balance(request.account),
        "create_form": extra.pop("create_form", None) or ChildCustomerForm(),
        **extra,
    }


@account_required("manage_credits")
def child_list(request):
    _reseller(request)
    if request.method == "POST":
        form = ChildCustomerForm(request.POST)
        if form.is_valid():
            try:
                child, invitation = create_invited_customer(
                    parent=request.account,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    opening_credits=form.cleaned_data["opening_credits"],
                    actor=request.user,
                    request=request,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    f"Customer {child.name} ({child.username}) created; {invitation.email} is invited as owner.",
                )
                return redirect("accounts:child_list")
        return render(
            request,
            "accounts/child_list.html",
            _children_context(request, create_form=form, create_open=True),
            status=422,
        )
    ctx = _children_context(request)
    if request.htmx and not request.htmx.boosted:
        return render(request, "accounts/partials/child_table.html", ctx)
    return render(request, "accounts/child_list.html", ctx)


@account_required("manage_credits")
@require_POST
def child_transfer(request, account_id):
    parent = _reseller(request)
    child = Account.objects.filter(parent=parent, uuid=account_id).first()
    if child is None:
        raise Http404("No such customer.")
    form = TransferForm(request.POST)
    error = None
    if form.is_valid():
        try:
            credits.transfer_to_child(
                parent=parent,
                child_username=child.username,
                amount=form.cleaned_data["amount"],
                notes=form.cleaned_data["notes"],
                actor=request.user,
                request=request,
            )
        except DomainError as exc:
            error = exc.message
    else:
        error = next(iter(form.errors.values()))[0]
    if error:
        messages.error(request, f"{child.name}: {error}")
    else:
        messages.success(request, f"{form.cleaned_data['amount']} credits sent to {child.name}.")
    if request.htmx:
        # The answer replaces the page's flash too, so an earlier message never stays behind.
        ctx = _children_context(
            request, transfer_error=error, error_child=child.pk if error else None, oob_balance=True
        )
        return render(request, "accounts/partials/child_table.html", ctx, status=422 if error else 200)
    return redirect("accounts:child_list")


@account_required("manage_credits")
@require_POST
def child_view(request, account_id):
    """Drill into a customer: its pages, read-only, until "Stop viewing"."""
    parent = _reseller(request)
    child = Account.objects.filter(parent=parent, uuid=account_id).first()
    if child is None:
        raise Http404("No such customer.")
    view_as.start(request, child, as_reseller_of=parent)
    return redirect("dashboard")


@require_POST
def view_as_stop(request):
    state = view_as.stop(request) if request.user.is_authenticated else None
    if state and state["by"] == view_as.STAFF:
        viewed = Account.objects.filter(pk=state["account"]).first()
        if viewed is not None:
            return redirect("staff:customer_detail", account_id=viewed.uuid)
    return redirect("accounts:child_list" if state else "dashboard")
