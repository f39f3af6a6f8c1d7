from django.urls import path

from accounts.brands import pages, views

app_name = "brands"

urlpatterns = [
    path("style.css", views.stylesheet, name="stylesheet"),
    path("logo", views.logo, name="logo"),
    path("favicon", views.favicon, name="favicon"),
    path("preview.css", pages.preview_stylesheet, name="preview_css"),
    path("settings/", pages.brand_settings, name="settings"),
    path("settings/preview/", pages.brand_preview, name="preview"),
    path("settings/customer-view/", pages.customer_preview, name="customer_preview"),
    path("readiness/", pages.brand_readiness, name="readiness"),
    path("readiness/certificates/", pages.certificates_check, name="certificates_check"),
    path("domains/", pages.domain_list, name="domain_list"),
    path("domains/email/check/", pages.email_check, name="email_check"),
    path("domains/<int:domain_id>/check/", pages.domain_check, name="domain_check"),
    path("domains/<int:domain_id>/remove/", pages.domain_remove, name="domain_remove"),
]
