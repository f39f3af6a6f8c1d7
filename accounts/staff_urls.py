from django.urls import path

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
]
