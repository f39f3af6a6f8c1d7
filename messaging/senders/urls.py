app_name = "senders"

urlpatterns = []
