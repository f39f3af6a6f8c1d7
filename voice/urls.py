from django.urls import path

from voice.views import audio, composer, inbound_sms, pages

app_name = "voice"

urlpatterns = [
    path("audio/<str:token>", audio.audio, name="audio"),
    path("vmn/sms", inbound_sms.vmn_sms, name="vmn_sms"),
    path("", composer.composer, name="composer"),
    path("preview", composer.composer_preview, name="composer_preview"),
    path("tts/preview", pages.tts_preview, name="tts_preview"),
    path("flows/", pages.flow_list, name="flow_list"),
    path("flows/new", pages.flow_create, name="flow_create"),
    path("flows/<int:pk>/", pages.flow_edit, name="flow_edit"),
    path("flows/<int:pk>/delete", pages.flow_delete, name="flow_delete"),
    path("flows/<int:pk>/test", pages.flow_test_call, name="flow_test_call"),
    path("sounds/", pages.sound_list, name="sound_list"),
    path("sounds/upload", pages.sound_upload, name="sound_upload"),
    path("sounds/<str:pk>/delete", pages.sound_delete, name="sound_delete"),
    path("calls/", pages.call_list, name="call_list"),
    path("calls/live", pages.live_calls, name="live_calls"),
    path("calls/bulk/<str:pk>/", pages.call_group_detail, name="call_group_detail"),
    path("calls/<str:pk>/", pages.call_detail, name="call_detail"),
    path("conferences/", pages.conference_list, name="conference_list"),
    path("conferences/new", pages.conference_create, name="conference_create"),
    path("numbers/", pages.number_list, name="number_list"),
]
