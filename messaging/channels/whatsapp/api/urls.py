from django.urls import path

from messaging.channels.whatsapp.api import views
from messaging.suppressions.api import views as suppressions
from messaging.suppressions.models import Channel

WA = {"channel": Channel.WHATSAPP}

urlpatterns = [
    path("templates", views.TemplateList.as_view(), name="whatsapp-templates"),
    path("templates/<str:pk>", views.TemplateDetail.as_view(), name="whatsapp-template"),
    path("media", views.MediaList.as_view(), name="whatsapp-media-list"),
    path("media/<str:pk>", views.MediaDetail.as_view(), name="whatsapp-media"),
    path("suppressions/unsubscribers", suppressions.UnsubscriberList.as_view(**WA), name="whatsapp-unsubscribers"),
    path(
        "suppressions/unsubscribers/import",
        suppressions.UnsubscriberImport.as_view(**WA),
        name="whatsapp-unsubscribers-import",
    ),
    path(
        "suppressions/unsubscribers/<str:pk>",
        suppressions.UnsubscriberDetail.as_view(**WA),
        name="whatsapp-unsubscriber",
    ),
    path("send/template", views.SendTemplateView.as_view(), name="whatsapp-send-template"),
    path("message/send", views.MessageSendView.as_view(), name="whatsapp-message-send"),
    path("message/status", views.StatusView.as_view(), name="whatsapp-message-status"),
    path("pricing", views.PricingView.as_view(), name="whatsapp-pricing"),
    path("optout", views.OptOutView.as_view(), name="whatsapp-optout"),
    path("optout/<str:number>", views.OptOutDetail.as_view(), name="whatsapp-optout-number"),
]
