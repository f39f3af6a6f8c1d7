"""Brand management pages: a reseller's own brand (with live preview and the customer's view),
and staff's list of every brand."""

import base64

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.brands import domains, email_auth, readiness, services
from accounts.brands.forms import COLOUR_FIELDS, BrandForm, StaffBrandForm
from accounts.brands.images import read_image
from accounts.brands.models import Brand, BrandDomain, DomainKind, DomainStatus
from accounts.brands.stylesheet import VARIABLES, brand_colours, css_for
from accounts.permissions import account_required, staff_required
from portal.core.errors import DomainError
from portal.pages import PageForm, form_errors_from


def _reseller_brand(request):
    """The reseller's saved brand, or an unsaved one to start from."""
    if not request.account.is_reseller:
        return None
    return services.brand_of_reseller(request.account) or services.new_reseller_brand(request.account)


def preview_stylesheet_url(colours, scope="preview"):
    query = {field: colours[field] for field in VARIABLES if colours.get(field)}
    return reverse("brands:preview_css") + "?" + urlencode({**query, "scope": scope})


def _logo_data_url(data, content_type):
    if not data:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(bytes(data)).decode()}"


def _page(request, brand, form, *, staff, status=200):
    colours = brand_colours(brand)
    ctx = {
        "form": form,
        "edited": brand,
        "staff_view": staff,
        "preview_css": preview_stylesheet_url(colours),
        "preview_logo": _logo_data_url(brand.logo, brand.logo_type),
        "preview_name": brand.name,
        "action": request.path,
    }
    return render(request, "brands/brand_edit.html", ctx, status=status)


def _save(request, brand, form_class, *, staff):
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, brand, form, staff=staff, status=422)
    try:
        saved = services.save_brand(
            brand=brand,
            data=form.cleaned_data,
            logo=request.FILES.get("logo"),
            favicon=request.FILES.get("favicon"),
            remove_logo=form.cleaned_data.get("remove_logo"),
            actor=request.user,
            staff=staff,
        )
    except DomainError as exc:
        form_errors_from(form, exc)
        return _page(request, brand, form, staff=staff, status=422)
    messages.success(request, f"{saved.name} saved.")
    return saved


@account_required("manage_brand")
def brand_settings(request):
    brand = _reseller_brand(request)
    if brand is None:
        return render(request, "brands/not_reseller.html", status=403)
    if request.method == "POST":
        result = _save(request, brand, BrandForm, staff=False)
        return result if isinstance(result, HttpResponse) else redirect("brands:settings")
    return _page(request, brand, BrandForm(initial=BrandForm.initial_for(brand)), staff=False)


@require_POST
@account_required("manage_brand")
def brand_preview(request):
    """The live preview: the form's colours, name and (uploaded or saved) logo, re-rendered as the
    reseller edits. Colours come from a stylesheet URL (no inline styles under the CSP)."""
    return _preview_fragment(request, _reseller_brand(request))


def _preview_fragment(request, brand):
    colours = {field: request.POST.get(field, "") for field in COLOUR_FIELDS}
    logo_url, logo_error = "", ""
    upload = request.FILES.get("logo")
    if upload is not None:
        try:
            logo_url = _logo_data_url(*read_image(upload, "logo"))
        except DomainError as exc:
            logo_error = exc.message
    elif brand is not None and not request.POST.get("remove_logo"):
        logo_url = _logo_data_url(brand.logo, brand.logo_type)
    ctx = {
        "preview_css": preview_stylesheet_url(colours),
        "preview_logo": logo_url,
        "logo_error": logo_error,
        "preview_name": request.POST.get("name", "")[:100] or (brand.name if brand else ""),
    }
    return render(request, "brands/partials/preview.html", ctx)


@require_GET
def preview_stylesheet(request):
    """Colours given in the query as CSS variables: `scope=preview` for the preview box, `root`
    for a whole page seen as a customer sees it. Only `#rrggbb` values are written."""
    colours = {field: request.GET.get(field, "") for field in VARIABLES}
    css = css_for(colours)
    if request.GET.get("scope") != "root":
        css = css.replace(":root", ".brand-preview", 1)
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@account_required("manage_brand")
def customer_preview(request):
    """The login page and the portal's frame as the reseller's customers see them on the brand's
    domains (the saved brand, whatever host the reseller is on)."""
    brand = _reseller_brand(request)
    if brand is None:
        return render(request, "brands/not_reseller.html", status=403)
    page = "login" if request.GET.get("page") != "portal" else "portal"
    ctx = {
        "brand": brand,
        "site_name": brand.name,
        "brand_stylesheet_url": preview_stylesheet_url(brand_colours(brand), scope="root"),
        "brand_logo_url": _logo_data_url(brand.logo, brand.logo_type),
        "brand_favicon_url": "",
        "preview_page": page,
    }
    template = "brands/customer_preview_login.html" if page == "login" else "brands/customer_preview_portal.html"
    return render(request, template, ctx)


# Staff


@staff_required
def staff_brand_list(request):
    brands = Brand.objects.select_related("account").prefetch_related("domains")
    return render(request, "brands/staff_brand_list.html", {"brands": brands})


@staff_required
def staff_brand_new(request):
    brand = Brand()
    if request.method == "POST":
        result = _save(request, brand, StaffBrandForm, staff=True)
        return result if isinstance(result, HttpResponse) else redirect("staff:brand_edit", brand_id=result.pk)
    return _page(request, brand, StaffBrandForm(initial=StaffBrandForm.initial_for(brand)), staff=True)


@staff_required
def staff_brand_edit(request, brand_id):
    brand = get_object_or_404(Brand.objects.select_related("account"), pk=brand_id)
    if request.method == "POST":
        result = _save(request, brand, StaffBrandForm, staff=True)
        return result if isinstance(result, HttpResponse) else redirect("staff:brand_edit", brand_id=brand.pk)
    return _page(request, brand, StaffBrandForm(initial=StaffBrandForm.initial_for(brand)), staff=True)


@require_POST
@staff_required
def staff_brand_preview(request, brand_id=None):
    brand = get_object_or_404(Brand, pk=brand_id) if brand_id else None
    return _preview_fragment(request, brand)


# Custom domains


class DomainForm(PageForm):
    host = forms.CharField(
        max_length=253, label="Domain", widget=forms.TextInput(attrs={"placeholder": "portal.example.com"})
    )
    kind = forms.ChoiceField(choices=DomainKind.choices, label="Used for", initial=DomainKind.PORTAL)


def _owned_brand(request):
    return services.brand_of_reseller(request.account) if request.account.is_reseller else None


def _domain_urls(brand, domain=None, *, staff):
    """The page's form targets: the reseller's own pages, or staff's for any brand."""
    if staff:
        urls = {
            "add": reverse("staff:brand_domains", args=[brand.pk]),
            "email_check": reverse("staff:brand_email_check", args=[brand.pk]),
            "brand": reverse("staff:brand_edit", args=[brand.pk]),
        }
        if domain is not None:
            urls["check"] = reverse("staff:brand_domain_check", args=[brand.pk, domain.pk])
            urls["remove"] = reverse("staff:brand_domain_remove", args=[brand.pk, domain.pk])
        return urls
    urls = {
        "add": reverse("brands:domain_list"),
        "email_check": reverse("brands:email_check"),
        "brand": reverse("brands:settings"),
    }
    if domain is not None:
        urls["check"] = reverse("brands:domain_check", args=[domain.pk])
        urls["remove"] = reverse("brands:domain_remove", args=[domain.pk])
    return urls


def domains_page(request, brand, form=None, status=200, *, staff=False):
    """The domains page of `brand` (the reseller's own, or any brand's for staff)."""
    rows = [
        (domain, domains.records_to_publish(domain), _domain_urls(brand, domain, staff=staff))
        for domain in brand.domains.exclude(status=DomainStatus.REMOVED).order_by("host")
    ]
    ctx = {
        "brand_owned": brand,
        "rows": rows,
        "urls": _domain_urls(brand, staff=staff),
        "staff_view": staff,
        "form": form or DomainForm(),
        "mail_domain": email_auth.mail_domain(brand),
        "mail_records": email_auth.records_to_publish(brand),
    }
    template = (
        "brands/partials/domain_table.html" if request.htmx and not request.htmx.boosted else "brands/domain_list.html"
    )
    return render(request, template, ctx, status=status)


@account_required("manage_brand")
def domain_list(request):
    if not request.account.is_reseller:
        return render(request, "brands/not_reseller.html", status=403)
    brand = _owned_brand(request)
    if brand is None:  # domains belong to a brand: the reseller saves one first
        return render(request, "brands/not_reseller.html", {"needs_brand": True})
    form = DomainForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return domains_page(request, brand, form, status=422)
        try:
            domains.add_domain(
                brand=brand, host=form.cleaned_data["host"], kind=form.cleaned_data["kind"], actor=request.user
            )
        except DomainError as exc:
            form_errors_from(form, exc)
            return domains_page(request, brand, form, status=422)
        if not request.htmx:
            return redirect("brands:domain_list")
        form = DomainForm()
    return domains_page(request, brand, form)


def _own_domain(request, domain_id):
    return get_object_or_404(BrandDomain.objects.select_related("brand"), pk=domain_id, brand__account=request.account)


@require_POST
@account_required("manage_brand")
def domain_check(request, domain_id):
    domain = _own_domain(request, domain_id)
    try:
        domains.check(domain)
    except DomainError as exc:
        messages.error(request, exc.message)
    return domains_page(request, domain.brand) if request.htmx else redirect("brands:domain_list")


@require_POST
@account_required("manage_brand")
def domain_remove(request, domain_id):
    domain = _own_domain(request, domain_id)
    domains.remove_domain(domain=domain, actor=request.user)
    return domains_page(request, domain.brand) if request.htmx else redirect("brands:domain_list")


@require_POST
@account_required("manage_brand")
def email_check(request):
    """Check the brand's SPF, DKIM and DMARC records now."""
    brand = _owned_brand(request)
    if brand is None:
        return render(request, "brands/not_reseller.html", status=403)
    email_auth.check(brand)
    return domains_page(request, brand) if request.htmx else redirect("brands:domain_list")


# Readiness


def readiness_page(request, brand, *, staff=False):
    check_url = (
        reverse("staff:brand_certificates_check", args=[brand.pk]) if staff else reverse("brands:certificates_check")
    )
    ctx = {"brand_owned": brand, "sections": readiness.report(brand), "certificates_check_url": check_url}
    return render(request, "brands/readiness.html", ctx)


@account_required("manage_brand")
def brand_readiness(request):
    if not request.account.is_reseller:
        return render(request, "brands/not_reseller.html", status=403)
    brand = _owned_brand(request)
    if brand is None:
        return render(request, "brands/not_reseller.html", {"needs_brand": True})
    return readiness_page(request, brand)


@staff_required
def staff_brand_readiness(request, brand_id):
    return readiness_page(
        request, get_object_or_404(Brand.objects.prefetch_related("domains"), pk=brand_id), staff=True
    )


@require_POST
@account_required("manage_brand")
def certificates_check(request):
    """Handshake with each served domain of the reseller's brand now."""
    brand = _owned_brand(request)
    if brand is None:
        return render(request, "brands/not_reseller.html", status=403)
    readiness.check_certificates(brand)
    return redirect("brands:readiness")
