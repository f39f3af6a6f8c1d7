from django.urls import path

from messaging.sending.api import views

urlpatterns = [
    path("send", views.SendView.as_view(), name="sms-send"),
    path("send/json", views.SendJsonView.as_view(), name="sms-send-json"),
    path("status", views.StatusView.as_view(), name="sms-status"),
]
