from django.urls import path

from messaging.suppressions import views

app_name = "suppressions"

urlpatterns = [
    path("unsubscribers/", views.unsubscriber_list, name="unsubscriber_list"),
    path("unsubscribers/new/", views.unsubscriber_create, name="unsubscriber_create"),
    path("unsubscribers/clean/", views.unsubscriber_clean, name="unsubscriber_clean"),
    path("unsubscribers/export.csv", views.unsubscriber_export, name="unsubscriber_export"),
    path("unsubscribers/<uuid:pk>/edit/", views.unsubscriber_edit, name="unsubscriber_edit"),
    path("unsubscribers/<uuid:pk>/delete/", views.unsubscriber_delete, name="unsubscriber_delete"),
    path("blocked-templates/", views.blocked_list, name="blocked_list"),
    path("blocked-templates/new/", views.blocked_create, name="blocked_create"),
    path("blocked-templates/clean/", views.blocked_clean, name="blocked_clean"),
    path("blocked-templates/export.csv", views.blocked_export, name="blocked_export"),
    path("blocked-templates/<uuid:pk>/toggle/", views.blocked_toggle, name="blocked_toggle"),
    path("blocked-templates/<uuid:pk>/delete/", views.blocked_delete, name="blocked_delete"),
    path("imports/<str:what>/", views.import_start, name="import_start"),
    path("imports/job/<uuid:pk>/", views.import_status, name="import_status"),
    path("imports/job/<uuid:pk>/report.csv", views.import_report, name="import_report"),
]
