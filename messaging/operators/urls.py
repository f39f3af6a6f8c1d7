from django.urls import path

from messaging.operators import views

app_name = "operators"

urlpatterns = [
    path("", views.operator_list, name="list"),
    path("load/", views.operator_load, name="load"),
    path("<int:pk>/delete/", views.operator_delete, name="delete"),
]
