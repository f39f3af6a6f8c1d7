app_name = "suppressions"

urlpatterns = []
