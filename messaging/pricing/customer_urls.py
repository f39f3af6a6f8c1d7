from django.urls import path

from messaging.pricing import views

app_name = "prices"

urlpatterns = [
    path("", views.customer_price_list, name="price_list"),
    path("customers/<uuid:pk>/", views.child_markup, name="child_markup"),
]
