from django.urls import path

from messaging.senders.api import views

urlpatterns = [
    path("senders", views.SenderList.as_view(), name="sms-senders"),
    path("senders/<str:pk>", views.SenderDetail.as_view(), name="sms-sender"),
    path("templates", views.TemplateList.as_view(), name="sms-templates"),
    path("templates/<str:pk>", views.TemplateDetail.as_view(), name="sms-template"),
]
