from django.urls import path

from messaging.channels.sms.api import views
from messaging.pipeline.api import ChannelSendView

urlpatterns = [
    path("send", views.SendView.as_view(), name="sms-send"),
    path("send/json", views.SendJsonView.as_view(), name="sms-send-json"),
    path("send/template", views.TemplateSendView.as_view(), name="sms-send-template"),
    path("message/send", ChannelSendView.as_view(), name="sms-message-send"),
    path("status", views.StatusView.as_view(), name="sms-status"),
    path("report", views.ReportView.as_view(), name="sms-report"),
    path("activity", views.ActivityView.as_view(), name="sms-activity"),
]
