from django.urls import path

from messaging.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("running/", views.running_campaigns, name="running"),
    path("threshold/", views.threshold, name="threshold"),
    path("messages/", views.delivery_report, name="delivery"),
    path("status-codes/", views.status_codes, name="status_codes"),
    path("messages/<uuid:pk>/<int:index>/", views.message_page, name="message"),
    path("campaigns/<uuid:pk>/", views.campaign_report, name="campaign"),
    path("credits/", views.credit_reconciliation, name="credits"),
    path("exports/", views.export_list, name="exports"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/<uuid:pk>/summary.pdf", views.schedule_summary, name="schedule_summary"),
    path("schedules/<uuid:pk>/delete/", views.schedule_delete, name="schedule_delete"),
    path("exports/new/", views.export_create, name="export_create"),
    path("exports/<uuid:pk>/", views.export_status, name="export_status"),
    path("exports/<uuid:pk>/download/", views.export_download, name="export_download"),
    path("exports/<uuid:pk>/cancel/", views.export_cancel, name="export_cancel"),
]
