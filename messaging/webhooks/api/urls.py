from django.urls import path

from messaging.webhooks.api import views

urlpatterns = [
    path("webhooks", views.WebhookList.as_view(), name="developer-webhooks"),
    path("webhooks/<str:pk>", views.WebhookDetail.as_view(), name="developer-webhook"),
    path("webhooks/<str:pk>/test", views.WebhookTest.as_view(), name="developer-webhook-test"),
    path("subscriptions", views.SubscriptionList.as_view(), name="developer-subscriptions"),
    path("subscriptions/<str:pk>", views.SubscriptionDetail.as_view(), name="developer-subscription"),
]
