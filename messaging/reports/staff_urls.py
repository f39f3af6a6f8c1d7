from django.urls import path

from messaging.reports import views

app_name = "staff_reports"

urlpatterns = [path("", views.staff_reports, name="overview")]
