from django.urls import path

from accounts.brands import views

app_name = "brands"

urlpatterns = [
    path("style.css", views.stylesheet, name="stylesheet"),
    path("logo", views.logo, name="logo"),
    path("favicon", views.favicon, name="favicon"),
]
