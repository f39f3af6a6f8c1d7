from django.urls import path

from messaging.suppressions.api import views

urlpatterns = [
    path("unsubscribers", views.UnsubscriberList.as_view(), name="sms-unsubscribers"),
    path("unsubscribers/import", views.UnsubscriberImport.as_view(), name="sms-unsubscribers-import"),
    path("unsubscribers/<str:pk>", views.UnsubscriberDetail.as_view(), name="sms-unsubscriber"),
    path("templates", views.BlockedTemplateList.as_view(), name="sms-blocked-templates"),
    path("templates/import", views.BlockedTemplateImport.as_view(), name="sms-blocked-templates-import"),
    path("templates/<str:pk>", views.BlockedTemplateDetail.as_view(), name="sms-blocked-template"),
    path("imports/<str:pk>", views.SuppressionImportDetail.as_view(), name="sms-suppression-import"),
]

voice_urlpatterns = [
    path("unsubscribers", views.VoiceUnsubscriberList.as_view(), name="voice-unsubscribers"),
    path("unsubscribers/import", views.VoiceUnsubscriberImport.as_view(), name="voice-unsubscribers-import"),
    path("unsubscribers/<str:pk>", views.VoiceUnsubscriberDetail.as_view(), name="voice-unsubscriber"),
]
