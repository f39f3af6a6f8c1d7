from django.urls import path

from messaging.pipeline import views

app_name = "connectors"

urlpatterns = [
    path("", views.connector_list, name="connector_list"),
    path("<int:pk>/", views.connector_list, name="connector_edit"),
]
