"""Serving recordings and sounds through signed, expiring URLs (no login: the signature is the
permission, and it names one file for a bounded time)."""

import re

from django.core import signing
from django.http import FileResponse, Http404

from voice.models import Recording, Sound
from voice.services import storage


def audio(request, token):
    try:
        kind, uuid = storage.audio_from_token(token)
    except signing.BadSignature:
        raise Http404 from None
    if kind == "tts":  # a rendered preview, named by its cache key
        if not re.fullmatch(r"[0-9a-f]{64}", uuid):
            raise Http404
        path = storage.root("tts") / f"{uuid}.wav"
    else:
        model = {"recording": Recording, "sound": Sound}.get(kind)
        row = model.objects.filter(uuid=uuid).first() if model else None
        if row is None:
            raise Http404
        try:
            path = storage.absolute(row.path)
        except ValueError:
            raise Http404 from None
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=600"
    return response
