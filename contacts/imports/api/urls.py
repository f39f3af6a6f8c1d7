from django.urls import path

from contacts.imports.api import views

urlpatterns = [
    path("subscribers", views.SubscriberImportList.as_view(), name="contacts-imports"),
    path("subscribers/<str:pk>", views.SubscriberImportDetail.as_view(), name="contacts-import"),
]
