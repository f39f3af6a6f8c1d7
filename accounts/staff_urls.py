from django.urls import path

from accounts.brands import pages as brand_pages
from accounts.brands import staff_domain_pages
from accounts.views import staff

app_name = "staff"

urlpatterns = [
    path("", staff.customer_list, name="customer_list"),
    path("customers/new/", staff.customer_create, name="customer_create"),
    path("customers/<uuid:account_id>/", staff.customer_detail, name="customer_detail"),
    path("customers/<uuid:account_id>/credits/", staff.customer_adjust_credits, name="customer_adjust_credits"),
    path("customers/<uuid:account_id>/view-as/", staff.customer_view_as, name="customer_view_as"),
    path("customers/<uuid:account_id>/receipts/<uuid:entry_id>.pdf", staff.customer_receipt, name="customer_receipt"),
    path("customers/<uuid:account_id>/status/", staff.customer_set_status, name="customer_set_status"),
    path("customers/<uuid:account_id>/rate-limit/", staff.customer_rate_limit, name="customer_rate_limit"),
    path("customers/<uuid:account_id>/services/", staff.customer_services, name="customer_services"),
    path("audit/", staff.audit_log, name="audit_log"),
    path("brands/", brand_pages.staff_brand_list, name="brand_list"),
    path("brands/new/", brand_pages.staff_brand_new, name="brand_new"),
    path("brands/new/preview/", brand_pages.staff_brand_preview, name="brand_new_preview"),
    path("brands/<int:brand_id>/", brand_pages.staff_brand_edit, name="brand_edit"),
    path("brands/<int:brand_id>/preview/", brand_pages.staff_brand_preview, name="brand_preview"),
    path("brands/<int:brand_id>/readiness/", brand_pages.staff_brand_readiness, name="brand_readiness"),
    path(
        "brands/<int:brand_id>/readiness/certificates/",
        staff_domain_pages.brand_certificates_check,
        name="brand_certificates_check",
    ),
    path("brands/<int:brand_id>/domains/", staff_domain_pages.brand_domains, name="brand_domains"),
    path("brands/<int:brand_id>/domains/email/check/", staff_domain_pages.brand_email_check, name="brand_email_check"),
    path(
        "brands/<int:brand_id>/domains/<int:domain_id>/check/",
        staff_domain_pages.brand_domain_check,
        name="brand_domain_check",
    ),
    path(
        "brands/<int:brand_id>/domains/<int:domain_id>/remove/",
        staff_domain_pages.brand_domain_remove,
        name="brand_domain_remove",
    ),
]
