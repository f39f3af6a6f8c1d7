"""Where voice keeps audio files (DATA_DIR/voice/...), and signed, expiring URLs to them."""

import time
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "voice.audio"


def root(kind):
    folder = Path(settings.DATA_DIR) / "voice" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(kind, name, data):
    """Write bytes under DATA_DIR/voice/<kind>/<name>; returns the path relative to DATA_DIR."""
    target = root(kind) / name
    target.write_bytes(data)
    return str(target.relative_to(settings.DATA_DIR))


def absolute(relative):
    path = (Path(settings.DATA_DIR) / relative).resolve()
    if Path(settings.DATA_DIR).resolve() not in path.parents:
        raise ValueError("outside DATA_DIR")
    return path


def signed_url(kind, uuid, *, seconds=3600, absolute_url=True):
    """A URL that serves one recording or sound for `seconds` without logging in;
    `audio_from_token` checks it."""
    token = signing.dumps({"k": kind, "u": str(uuid), "e": int(time.time()) + seconds}, salt=SALT, compress=True)
    path = reverse("voice:audio", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}" if absolute_url else path


def audio_from_token(token):
    """(kind, uuid) of a signed URL not yet expired; signing.BadSignature otherwise."""
    data = signing.loads(token, salt=SALT)
    if not isinstance(data, dict) or int(data.get("e", 0)) < time.time():
        raise signing.BadSignature("expired")
    return data["k"], data["u"]
