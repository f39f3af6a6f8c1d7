from django.urls import path

from contacts.imports import views

app_name = "contact_imports"

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("new/", views.import_upload, name="import_upload"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/header/", views.import_header, name="import_header"),
    path("<int:pk>/start/", views.import_start, name="import_start"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("<int:pk>/delete/", views.import_delete, name="import_delete"),
    path("<int:pk>/report.csv", views.import_report, name="import_report"),
]
