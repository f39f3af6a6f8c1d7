"""Staff manage any brand's custom domains and e-mail records (the same page and services a
reseller uses for its own brand), and check any brand's certificates from its readiness page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.brands import domains, email_auth, readiness
from accounts.brands.models import Brand, BrandDomain
from accounts.brands.pages import DomainForm, domains_page
from accounts.permissions import staff_required
from portal.core.errors import DomainError
from portal.pages import form_errors_from


def _brand(brand_id):
    return get_object_or_404(Brand.objects.select_related("account"), pk=brand_id)


def _after(request, brand):
    if request.htmx:
        return domains_page(request, brand, staff=True)
    return redirect("staff:brand_domains", brand_id=brand.pk)


@staff_required
def brand_domains(request, brand_id):
    brand = _brand(brand_id)
    form = DomainForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return domains_page(request, brand, form, status=422, staff=True)
        try:
            domains.add_domain(
                brand=brand, host=form.cleaned_data["host"], kind=form.cleaned_data["kind"], actor=request.user
            )
        except DomainError as exc:
            form_errors_from(form, exc)
            return domains_page(request, brand, form, status=422, staff=True)
        return _after(request, brand)
    return domains_page(request, brand, staff=True)


def _domain(brand_id, domain_id):
    # The domain must be this brand's: a mistyped pair is a 404, never another brand's claim.
    return get_object_or_404(BrandDomain.objects.select_related("brand"), pk=domain_id, brand_id=brand_id)


@require_POST
@staff_required
def brand_domain_check(request, brand_id, domain_id):
    domain = _domain(brand_id, domain_id)
    try:
        domains.check(domain)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _after(request, domain.brand)


@require_POST
@staff_required
def brand_domain_remove(request, brand_id, domain_id):
    domain = _domain(brand_id, domain_id)
    domains.remove_domain(domain=domain, actor=request.user)
    return _after(request, domain.brand)


@require_POST
@staff_required
def brand_email_check(request, brand_id):
    brand = _brand(brand_id)
    email_auth.check(brand)
    return _after(request, brand)


@require_POST
@staff_required
def brand_certificates_check(request, brand_id):
    brand = _brand(brand_id)
    readiness.check_certificates(brand)
    return redirect("staff:brand_readiness", brand_id=brand.pk)
