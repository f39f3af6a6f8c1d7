from django.urls import path

from messaging.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("running/", views.running_campaigns, name="running"),
    path("threshold/", views.threshold, name="threshold"),
    path("messages/", views.delivery_report, name="delivery"),
    path("campaigns/<uuid:pk>/", views.campaign_report, name="campaign"),
    path("credits/", views.credit_reconciliation, name="credits"),
]
