from django.urls import path

from voice.views import audio

app_name = "voice"

urlpatterns = [
    path("audio/<str:token>", audio.audio, name="audio"),
]
