"""`audio` URLs on SIP calls: downloaded through the platform's outbound client (public
addresses only, size and time limits, redirects checked), checked and converted to telephony WAV
by the sound files' ffprobe/ffmpeg, and kept on disk by the URL's hash for
VOICE_AUDIO_URL_CACHE_SECONDS, so a bulk run to one URL downloads it once."""

import hashlib
import logging
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from portal.core import outbound
from portal.core.errors import ValidationFailed
from voice.services import sounds, storage

log = logging.getLogger(__name__)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class AudioUnavailable(Exception):
    """The URL could not be played: refused, unreachable, not audio, too long."""


def _lock(key):
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def wav_of_url(url):
    """Telephony WAV bytes of the audio at `url` (cached); raises AudioUnavailable."""
    key = hashlib.sha256(url.encode()).hexdigest()
    cached = storage.root("remote") / f"{key}.wav"
    with _lock(key):  # concurrent calls to one URL wait for one download
        if cached.exists() and time.time() - cached.stat().st_mtime < settings.VOICE_AUDIO_URL_CACHE_SECONDS:
            return cached.read_bytes()
        wav = _fetch(url)
        cached.write_bytes(wav)
        return wav


def _fetch(url):
    try:
        body = outbound.download(
            url, max_bytes=sounds.MAX_BYTES, allow_loopback=settings.VOICE_AUDIO_URLS_ALLOW_LOOPBACK
        )
    except (outbound.Refused, outbound.DownloadFailed) as exc:
        raise AudioUnavailable(str(exc)) from None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audio"
        path.write_bytes(body)
        container, seconds = sounds.probe(str(path))
        if container is None:
            raise AudioUnavailable("The URL did not return audio.")
        if seconds > sounds.MAX_SECONDS:
            raise AudioUnavailable(f"The audio is longer than {sounds.MAX_SECONDS} seconds.")
        try:
            return sounds.convert(str(path))
        except ValidationFailed:
            raise AudioUnavailable("The audio could not be converted.") from None
