from django.urls import path

from messaging.channels.whatsapp import staff

app_name = "whatsapp_staff"

urlpatterns = [
    path("", staff.number_admin, name="number_admin"),
    path("<int:pk>/", staff.number_admin, name="number_edit"),
]
