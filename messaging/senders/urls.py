from django.urls import path

from messaging.senders import views

app_name = "senders"

urlpatterns = [
    path("senders/", views.sender_list, name="sender_list"),
    path("senders/new/", views.sender_create, name="sender_create"),
    path("senders/export.csv", views.sender_export, name="sender_export"),
    path("senders/<uuid:pk>/edit/", views.sender_edit, name="sender_edit"),
    path("senders/<uuid:pk>/delete/", views.sender_delete, name="sender_delete"),
    path("senders/<uuid:pk>/document/", views.sender_document, name="sender_document"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/export.csv", views.template_export, name="template_export"),
    path("templates/<uuid:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<uuid:pk>/delete/", views.template_delete, name="template_delete"),
]
