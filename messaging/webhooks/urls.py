from django.urls import path

from messaging.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="webhook_list"),
    path("new/", views.webhook_create, name="webhook_create"),
    path("subscriptions/", views.subscription_list, name="subscription_list"),
    path("subscriptions/new/", views.subscription_create, name="subscription_create"),
    path("subscriptions/<int:pk>/delete/", views.subscription_delete, name="subscription_delete"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/replay/", views.delivery_replay, name="delivery_replay"),
    path("deliveries/<uuid:pk>/", views.delivery_detail, name="delivery_detail"),
    path("events/", views.event_types, name="event_types"),
    path("<uuid:pk>/", views.webhook_edit, name="webhook_edit"),
    path("<uuid:pk>/toggle/", views.webhook_toggle, name="webhook_toggle"),
    path("<uuid:pk>/test/", views.webhook_test, name="webhook_test"),
    path("<uuid:pk>/verify/", views.webhook_verify, name="webhook_verify"),
]
