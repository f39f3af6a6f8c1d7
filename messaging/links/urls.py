from django.urls import path

from messaging.links import views

app_name = "links"
urlpatterns = [path("<str:code>", views.follow, name="follow")]
