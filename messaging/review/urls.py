from django.urls import path

from messaging.review import views

app_name = "review"

urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("bulk/", views.review_bulk, name="bulk"),
    path("<str:kind>/<str:pk>/", views.review_detail, name="detail"),
    path("<str:kind>/<str:pk>/decide/", views.review_decide, name="decide"),
]
