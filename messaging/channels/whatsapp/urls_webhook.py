from django.urls import path

from messaging.channels.whatsapp.views_webhook import cloud_api_webhook

urlpatterns = [path("webhook", cloud_api_webhook, name="whatsapp-cloud-webhook")]
