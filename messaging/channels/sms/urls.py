from django.urls import path

from messaging.channels.sms import views

app_name = "sending"

urlpatterns = [
    path("send/", views.send_page, name="send"),
    path("send/preview/", views.send_preview, name="send_preview"),
    path("send/template-fields/", views.template_fields, name="template_fields"),
    path("test-number/", views.test_number_page, name="test_number"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<uuid:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<uuid:pk>/cancel/", views.batch_cancel, name="batch_cancel"),
]
