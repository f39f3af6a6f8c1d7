from django.urls import path

from messaging.pipeline import retention_views

app_name = "message_retention"

urlpatterns = [path("", retention_views.partition_list, name="partition_list")]
