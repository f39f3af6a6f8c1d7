from django.urls import path

from voice.api import views

urlpatterns = [
    path("outgoing/send", views.OutgoingSend.as_view(), name="voice-outgoing-send"),
    path("outgoing/bulk", views.OutgoingBulk.as_view(), name="voice-outgoing-bulk"),
    path("outgoing/tts", views.OutgoingTts.as_view(), name="voice-outgoing-tts"),
    path("outgoing/callstatus", views.CallStatusView.as_view(), name="voice-callstatus"),
    path("voice/c2c", views.ClickToCall.as_view(), name="voice-c2c"),
    path("voice/calls", views.CallLogs.as_view(), name="voice-calls"),
    path("voice/recordings", views.RecordingLogs.as_view(), name="voice-recordings"),
    path("voice/sounds", views.SoundCreate.as_view(), name="voice-sounds"),
    path("voice/pricing", views.VoicePricing.as_view(), name="voice-pricing"),
    path("voice/conferences", views.ConferenceList.as_view(), name="voice-conferences"),
    path("voice/conference/create", views.ConferenceCreate.as_view(), name="voice-conference-create"),
    path("vmn/logs", views.VmnLogs.as_view(), name="vmn-logs"),
]
