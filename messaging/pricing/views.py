"""Staff: the default rate card and accounts' own prices. Customers: their price list."""

import base64

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.permissions import account_required, staff_required
from messaging.models import Channel, Product
from messaging.pricing import markups, rate_cards, services
from messaging.pricing.filters import PriceFilterSet
from messaging.pricing.models import Price
from messaging.services.products import enabled_products
from portal.core.errors import DomainError
from portal.pages import PageForm, csv_response, form_errors_from
from portal.pagination import paginate


class PriceForm(PageForm):
    service = forms.ChoiceField()
    iso = forms.CharField(max_length=2, label="Country (ISO)")
    country_name = forms.CharField(max_length=100, required=False)
    sale_price = forms.DecimalField(min_value=0, max_digits=12, decimal_places=4, label="Price per unit")
    currency = forms.CharField(max_length=3, initial="INR")
    status = forms.ChoiceField(choices=[("1", "Active"), ("0", "Inactive")], initial="1")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [(s.code, f"{s.code} – {s.display_name}") for s in Product.objects.all()]


def _scope(request):
    """The card being edited: an account's (?account=username) or the default."""
    username = (request.GET.get("account") or request.POST.get("account") or "").strip()
    return get_object_or_404(Account, username=username) if username else None


@staff_required
def price_list(request):
    account = _scope(request)
    form = PriceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_price(data=form.cleaned_data, account=account, actor=request.user, request=request)
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Price saved.")
            return redirect(request.get_full_path())
    rows = Price.objects.filter(account=account).select_related("product")
    filterset = PriceFilterSet(request.GET, queryset=rows)
    ctx = {"page": paginate(request, filterset.qs), "filterset": filterset, "form": form, "scope": account}
    return render(request, "pricing/price_list.html", ctx, status=422 if form.errors else 200)


@staff_required
@require_POST
def rate_card_upload(request):
    """Upload a rate card as CSV: first a preview of what it changes, then "Apply" writes it."""
    account = _scope(request)
    suffix = f"?account={account.username}" if account else ""
    if "apply" in request.POST:
        try:
            content = base64.b64decode(request.POST.get("content", ""), validate=True)
            counts = rate_cards.apply(account=account, content=content, actor=request.user, request=request)
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "The rate card could not be read again; upload it anew."))
        else:
            messages.success(request, f"Rate card applied: {counts['added']} added, {counts['changed']} changed.")
        return redirect(reverse("pricing:price_list") + suffix)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a CSV file to upload.")
        return redirect(reverse("pricing:price_list") + suffix)
    content = upload.read(rate_cards.MAX_BYTES + 1)
    try:
        changes = rate_cards.diff(account, rate_cards.read(content))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("pricing:price_list") + suffix)
    ctx = {
        "scope": account,
        "changes": [c for c in changes if c.kind != "unchanged"],
        "counts": rate_cards.summary(changes),
        "content": base64.b64encode(content).decode(),
        "filename": upload.name,
    }
    return render(request, "pricing/rate_card_preview.html", ctx)


@staff_required
@require_POST
def price_delete(request, pk):
    row = get_object_or_404(Price, pk=pk)
    services.delete_price(row=row, actor=request.user, request=request)
    messages.success(request, "Price deleted.")
    suffix = f"?account={row.account.username}" if row.account_id else ""
    return redirect(reverse("pricing:price_list") + suffix)


PRICE_COLUMNS = ["country", "iso", "calling_code", "channel", "service", "service_name", "price_per_unit", "currency"]


@account_required()
def customer_price_list(request):
    """The account's price list per country, channel and service (filterable, CSV)."""
    filters = {name: request.GET.get(name, "").strip() for name in ("q", "channel", "service")}
    rows = services.customer_price_list(request.account, **filters)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"prices-{request.account.username}.csv",
            PRICE_COLUMNS,
            (
                [
                    r.country_name,
                    r.iso,
                    r.calling_code,
                    r.product.get_channel_display(),
                    r.product.code,
                    r.product.display_name,
                    r.sale_price,
                    r.currency,
                ]
                for r in rows.iterator(chunk_size=2000)
            ),
        )
    products = list(enabled_products(request.account))
    ctx = {
        "page": paginate(request, rows, per_page=50),
        "filters": filters,
        "channels": [c for c in Channel.choices if any(p.channel == c[0] for p in products)],
        "services": products,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "pricing/partials/customer_price_table.html", ctx)
    return render(request, "pricing/customer_price_list.html", ctx)


@account_required("manage_credits")
def child_markup(request, pk):
    """A reseller's markup for one of its customers (general and per country) and its margin."""
    child = markups.child_of(request.account, pk)
    if child is None:
        raise Http404("Not one of your customers.")
    errors, status = {}, 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                markups.remove_markup(
                    reseller=request.account,
                    child=child,
                    iso=request.POST.get("iso", ""),
                    actor=request.user,
                    request=request,
                )
                messages.success(request, "Markup removed.")
            else:
                markups.set_markup(
                    reseller=request.account,
                    child=child,
                    iso=request.POST.get("iso", ""),
                    percent=request.POST.get("percent", ""),
                    actor=request.user,
                    request=request,
                )
                messages.success(request, f"Markup saved: {child.name}'s prices follow it.")
            return redirect("prices:child_markup", pk=child.uuid)
        except DomainError as exc:
            errors, status = exc.errors if hasattr(exc, "errors") else {"percent": [exc.message]}, 422
    general, by_country = markups.markups_of(child)
    rows, earned = markups.margins(request.account, child)
    ctx = {
        "child": child,
        "general": general,
        "by_country": sorted(by_country.items()),
        "page": paginate(request, rows, per_page=50),
        "earned": earned,
        "errors": errors,
        "posted": request.POST if status == 422 else {},
    }
    if request.htmx and not request.htmx.boosted and request.method == "GET":
        return render(request, "pricing/partials/child_markup_table.html", ctx)
    return render(request, "pricing/child_markup.html", ctx, status=status)
