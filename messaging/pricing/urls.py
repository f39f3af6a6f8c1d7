from django.urls import path

from messaging.pricing import views

app_name = "pricing"

urlpatterns = [
    path("", views.price_list, name="price_list"),
    path("upload/", views.rate_card_upload, name="rate_card_upload"),
    path("<int:pk>/delete/", views.price_delete, name="price_delete"),
]
