from django.urls import path

from messaging.pricing.api import views

urlpatterns = [path("pricing", views.PricingList.as_view(), name="sms-pricing")]
