"""Platform staff area: customers, credit adjustments, account controls, the platform audit log."""

from django.contrib import messages
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import products
from accounts.forms import CreditAdjustmentForm, RateLimitForm, StaffCustomerForm
from accounts.models import Account, AuditEvent, LedgerEntry, Membership, Role, Wallet
from accounts.permissions import staff_required
from accounts.services import audit, credits, view_as
from accounts.services import staff as staff_services
from accounts.services.customers import create_invited_customer
from accounts.views.audit import audit_context
from accounts.views.billing import receipt_response
from portal.core.errors import DomainError
from portal.pagination import paginate

SORTS = {
    "name": "name",
    "-name": "-name",
    "created": "created_at",
    "-created": "-created_at",
    "balance": "balance",
    "-balance": "-balance",
}


def _customers(request):
    general = Wallet.objects.filter(account=OuterRef("pk"), product_code="").values("balance")[:1]
    qs = Account.objects.select_related("parent").annotate(
        balance=Coalesce(Subquery(general), Value(0), output_field=DecimalField(max_digits=16, decimal_places=4)),
    )
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(username__icontains=q) | Q(memberships__user__email__icontains=q))
        qs = qs.distinct()
    status = request.GET.get("status")
    if status in ("active", "inactive"):
        qs = qs.filter(is_active=status == "active")
    if request.GET.get("reseller") == "1":
        qs = qs.filter(is_reseller=True)
    sort = request.GET.get("sort", "name")
    return qs.order_by(SORTS.get(sort, "name"), "pk"), q, sort


@staff_required
def customer_list(request, **extra):
    qs, q, sort = _customers(request)
    page = paginate(request, qs)
    owners = {}
    for m in Membership.objects.filter(account__in=page.object_list, role=Role.OWNER).select_related("user"):
        owners.setdefault(m.account_id, m.user.email)
    ctx = {"page": page, "q": q, "sort": sort, "owners": owners, "create_form": StaffCustomerForm(), **extra}
    if request.htmx and not request.htmx.boosted:
        return render(request, "staff/partials/customer_table.html", ctx)
    return render(request, "staff/customer_list.html", ctx, status=422 if extra else 200)


@staff_required
@require_POST
def customer_create(request):
    """Create a customer from the UI; its owner is invited by e-mail."""
    form = StaffCustomerForm(request.POST)
    if form.is_valid():
        try:
            account, invitation = create_invited_customer(
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                is_reseller=form.cleaned_data["is_reseller"],
                opening_credits=form.cleaned_data["opening_credits"],
                actor=request.user,
                request=request,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Customer {account.name} created; {invitation.email} is invited as owner.")
            return redirect("staff:customer_detail", account_id=account.uuid)
    return customer_list(request, create_form=form, create_open=True)


def _detail_context(request, account, **extra):
    return {
        "product_choices": products.directory().choices(account),
        "customer": account,
        "balance": credits.balance(account),
        "members": account.memberships.select_related("user"),
        "key_counts": account.api_keys.aggregate(
            total=Count("pk"), active=Count("pk", filter=Q(revoked_at__isnull=True))
        ),
        "children": account.children.order_by("name")[:20],
        "ledger": LedgerEntry.objects.filter(account=account).select_related("actor")[:50],
        "events": AuditEvent.objects.filter(account=account).select_related("actor")[:20],
        "adjust_form": extra.pop("adjust_form", None) or CreditAdjustmentForm(),
        "rate_form": extra.pop("rate_form", None) or RateLimitForm(initial={"rate_limit": account.api_rate_limit}),
        **extra,
    }


@staff_required
def customer_detail(request, account_id):
    account = get_object_or_404(Account.objects.select_related("parent"), uuid=account_id)
    return render(request, "staff/customer_detail.html", _detail_context(request, account))


@staff_required
@require_POST
def customer_view_as(request, account_id):
    """See the customer's pages as its analyst would: read-only, banner shown, every view audited."""
    account = get_object_or_404(Account, uuid=account_id)
    view_as.start(request, account)
    return redirect("dashboard")


@staff_required
def customer_receipt(request, account_id, entry_id):
    entries = LedgerEntry.objects.select_related("account__parent", "wallet", "actor")
    return receipt_response(get_object_or_404(entries, account__uuid=account_id, uuid=entry_id))


@staff_required
@require_POST
def customer_adjust_credits(request, account_id):
    account = get_object_or_404(Account, uuid=account_id)
    form = CreditAdjustmentForm(request.POST)
    if form.is_valid():
        try:
            credits.adjust_by_staff(
                account=account,
                amount=form.cleaned_data["amount"],
                direction=form.cleaned_data["direction"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                request=request,
            )
        except DomainError as exc:
            form.add_error("amount" if exc.field in ("amount", "credits") else None, exc.message)
        else:
            if request.htmx:
                return render(
                    request, "staff/partials/credits_panel.html", _detail_context(request, account, adjusted=True)
                )
            messages.success(request, "Credits adjusted.")
            return redirect("staff:customer_detail", account_id=account.uuid)
    ctx = _detail_context(request, account, adjust_form=form)
    template = "staff/partials/credits_panel.html" if request.htmx else "staff/customer_detail.html"
    return render(request, template, ctx, status=422)


@staff_required
@require_POST
def customer_set_status(request, account_id):
    account = get_object_or_404(Account, uuid=account_id)
    active = request.POST.get("active") == "1"
    staff_services.set_active(account=account, active=active, actor=request.user, request=request)
    messages.success(request, f"{account.name} is now {'active' if active else 'inactive'}.")
    return redirect("staff:customer_detail", account_id=account.uuid)


@staff_required
@require_POST
def customer_rate_limit(request, account_id):
    account = get_object_or_404(Account, uuid=account_id)
    form = RateLimitForm(request.POST)
    if form.is_valid():
        staff_services.set_rate_limit(
            account=account, per_minute=form.cleaned_data["rate_limit"], actor=request.user, request=request
        )
        messages.success(request, "API rate limit saved.")
        return redirect("staff:customer_detail", account_id=account.uuid)
    return render(request, "staff/customer_detail.html", _detail_context(request, account, rate_form=form), status=422)


@staff_required
@require_POST
def customer_services(request, account_id):
    """Staff choose which products/services the customer may use."""
    account = get_object_or_404(Account, uuid=account_id)
    codes = request.POST.getlist("services")
    try:
        products.directory().set_enabled(account, codes)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        audit.record(
            "account.services_changed",
            account=account,
            actor=request.user,
            target=account.username,
            request=request,
            services=sorted(codes),
        )
        messages.success(request, "Services saved.")
    return redirect("staff:customer_detail", account_id=account.uuid)


@staff_required
def audit_log(request):
    ctx = {**audit_context(request, AuditEvent.objects.all()), "show_account": True}
    if request.htmx and not request.htmx.boosted:
        return render(request, "accounts/partials/audit_table.html", ctx)
    return render(request, "staff/audit_log.html", ctx)
