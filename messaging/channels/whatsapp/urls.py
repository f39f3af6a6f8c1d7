from django.urls import path

from messaging.channels.whatsapp import views

app_name = "whatsapp"

urlpatterns = [
    path("numbers/", views.number_list, name="number_list"),
    path("media/", views.media_page, name="media"),
    path("media/upload/", views.media_upload, name="media_upload"),
    path("media/<uuid:pk>/delete/", views.media_delete, name="media_delete"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("templates/<uuid:pk>/", views.template_detail, name="template_detail"),
    path("templates/<uuid:pk>/delete/", views.template_delete, name="template_delete"),
    path("send/", views.compose, name="compose"),
    path("send/preview/", views.compose_preview, name="compose_preview"),
    path("send/fields/", views.compose_fields, name="compose_fields"),
    path("inbox/", views.inbox_page, name="inbox"),
    path("inbox/<int:number_id>/<str:customer>/", views.conversation, name="conversation"),
    path("inbox/<int:number_id>/<str:customer>/reply/", views.reply, name="reply"),
    path("inbox/<int:number_id>/<str:customer>/reply/values/", views.reply_values, name="reply_values"),
    path("messages/", views.message_list, name="message_list"),
    path("messages/<uuid:pk>/<int:index>/", views.message_detail, name="message_detail"),
]
