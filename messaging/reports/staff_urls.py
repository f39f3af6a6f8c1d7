from django.urls import path

from messaging.reports import views

app_name = "staff_reports"

urlpatterns = [
    path("", views.staff_reports, name="overview"),
    path("costs/<int:pk>/delete/", views.route_cost_delete, name="cost_delete"),
]
