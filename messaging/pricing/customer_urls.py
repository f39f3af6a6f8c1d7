from django.urls import path

from messaging.pricing import views

app_name = "prices"

urlpatterns = [
    path("", views.customer_price_list, name="price_list"),
]
