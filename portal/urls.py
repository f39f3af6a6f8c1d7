from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts.api.urls import urlpatterns_v2 as accounts_v2
from accounts.api.urls import urlpatterns_v3 as accounts_v3
from accounts.brands import views as brand_views
from messaging.channels.sms.engage import NotifyView, PushSmsView
from messaging.suppressions.api import urls as suppression_api
from portal import views
from portal.api.docs import ApiDocsView
from portal.api.responses import api_not_found

api_v2 = [
    *accounts_v2,
    path("sms/", include("messaging.senders.api.urls")),
    path("sms/suppressions/", include("messaging.suppressions.api.urls")),
    path("sms/", include("messaging.pricing.api.urls")),
    path("sms/", include("messaging.channels.sms.api.urls")),
    path("whatsapp/", include("messaging.channels.whatsapp.api.urls")),
    path("developer/", include("messaging.webhooks.api.urls")),
    path("", include("contacts.api.urls")),
    path("contacts/import/", include("contacts.imports.api.urls")),
    path("outgoing/suppressions/", include(suppression_api.voice_urlpatterns)),
    path("", include("voice.api.urls")),
]
api_v3 = [*accounts_v3]

urlpatterns = [
    # Engage's push SMS keeps its own path (clients point the Engage host at this portal). First:
    # the resolver tries patterns in order, and these are the paths called most.
    path("v1/messaging/sms", PushSmsView.as_view(), name="engage-push"),
    path("notify", NotifyView.as_view(), name="engage-notify"),
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("tls/ask", brand_views.tls_ask, name="tls_ask"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include("accounts.urls")),
    path("notifications/", include("accounts.notifications.urls")),
    path("brand/", include("accounts.brands.urls")),
    path("staff/overview/", views.staff_overview, name="staff_overview"),
    path("staff/", include("accounts.staff_urls")),
    path("staff/review/", include("messaging.review.urls")),
    path("staff/pricing/", include("messaging.pricing.urls")),
    path("prices/", include("messaging.pricing.customer_urls")),
    path("staff/connectors/", include("messaging.pipeline.urls")),
    path("staff/messages/partitions/", include("messaging.pipeline.retention_urls")),
    path("staff/whatsapp/numbers/", include("messaging.channels.whatsapp.staff_urls")),
    path("staff/reports/", include("messaging.reports.staff_urls")),
    path("staff/operators/", include("messaging.operators.urls")),
    path("sms/", include("messaging.senders.urls")),
    path("sms/", include("messaging.channels.sms.urls")),
    path("sms/suppressions/", include("messaging.suppressions.urls")),
    path("whatsapp/", include("messaging.channels.whatsapp.urls")),
    path("contacts/imports/", include("contacts.imports.urls")),
    path("contacts/", include("contacts.pages.urls")),
    path("developer/webhooks/", include("messaging.webhooks.urls")),
    path("voice/", include("voice.urls")),
    path("reports/", include("messaging.reports.urls")),
    path("django-admin/", admin.site.urls),
    path("api/v2/", include(api_v2)),
    path("api/v3/", include(api_v3)),
    # The WhatsApp Cloud API's webhooks (the provider, or the simulator, posts here).
    path("whatsapp/cloud/", include("messaging.channels.whatsapp.urls_webhook")),
    # Engage `tiny` short links (SHORT_URL_BASE points here).
    path("s/", include("messaging.links.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api_schema"), name="api_docs"),
    re_path(r"^api/", api_not_found),
]
handler500 = "portal.views.server_error"
