"""Sound files: an upload is checked (ffprobe must find an audio stream of a known container),
converted to telephony WAV (8 kHz, 16-bit mono) by ffmpeg, and stored with its duration and a
waveform of peaks for the page. Only the converted file is kept.
"""

import array
import contextlib
import io
import json
import shutil
import subprocess
import tempfile
import uuid as uuid_module
import wave
from pathlib import Path

from django.db import transaction

from accounts.services import audit
from portal.core.errors import ValidationFailed
from voice.models import Sound
from voice.services import storage

MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 600
EXTENSIONS = {".wav": "wav", ".mp3": "mp3", ".ogg": "ogg", ".m4a": "mov,mp4,m4a,3gp,3g2,mj2"}
PEAKS = 60
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def _refuse(message):
    raise ValidationFailed({"audio": [message]})


def probe(path):
    """ffprobe's view of a file: (container names, seconds) of its first audio stream."""
    result = subprocess.run(  # noqa: S603  (fixed program and arguments)
        [
            FFPROBE,
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration:stream=codec_type",
            "-of",
            "json",
            path,
        ],
        capture_output=True,
        timeout=20,
        check=False,
    )
    if result.returncode != 0:
        return None, 0.0
    info = json.loads(result.stdout or b"{}")
    if not any(s.get("codec_type") == "audio" for s in info.get("streams", [])):
        return None, 0.0
    fmt = info.get("format", {})
    try:
        seconds = float(fmt.get("duration", 0))
    except (TypeError, ValueError):
        seconds = 0.0
    return fmt.get("format_name", ""), seconds


def convert(path):
    """Telephony WAV bytes of any audio file ffmpeg reads."""
    result = subprocess.run(  # noqa: S603
        [FFMPEG, "-v", "error", "-i", path, "-ac", "1", "-ar", "8000", "-sample_fmt", "s16", "-f", "wav", "-"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0 or not result.stdout:
        _refuse("The audio could not be converted.")
    # ffmpeg writes an unknown length to a pipe; rewrite the header through the wave module.
    return _rewrap(result.stdout)


def _rewrap(data):
    start = data.find(b"data")
    frames = data[start + 8 :] if start >= 0 else b""
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(8000)
        target.writeframes(frames[: len(frames) // 2 * 2])
    return out.getvalue()


def waveform(wav_bytes, points=PEAKS):
    with wave.open(io.BytesIO(wav_bytes)) as source:
        samples = array.array("h", source.readframes(source.getnframes()))
    if not samples:
        return [0] * points
    size = max(len(samples) // points, 1)
    peaks = [max((abs(s) for s in samples[i : i + size]), default=0) for i in range(0, size * points, size)]
    top = max(peaks) or 1
    return [round(p * 100 / top) for p in peaks[:points]]


def create_sound(*, account, upload, name="", actor=None, request=None):
    if upload is None:
        _refuse("The audio field is required.")
    original = Path(str(upload.name or "audio"))
    extension = original.suffix.lower()
    if extension not in EXTENSIONS:
        _refuse("The audio must be a file of type: wav, mp3, ogg, m4a.")
    if upload.size > MAX_BYTES:
        _refuse("The audio may not be greater than 10 MB.")
    if upload.size == 0:
        _refuse("The audio file is empty.")
    name = str(name or "").strip() or original.stem
    if len(name) > 100:
        raise ValidationFailed({"name": ["The name may not be greater than 100 characters."]})
    with tempfile.NamedTemporaryFile(suffix=extension) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        container, seconds = probe(tmp.name)
        if not container or not set(container.split(",")) & set(EXTENSIONS[extension].split(",")):
            _refuse("The audio is not a readable wav, mp3, ogg or m4a file.")
        if seconds > MAX_SECONDS:
            _refuse(f"The audio may not be longer than {MAX_SECONDS // 60} minutes.")
        data = convert(tmp.name)
    sound_uuid = uuid_module.uuid4()
    path = storage.save("sounds", f"{sound_uuid}.wav", data)
    frames = (len(data) - 44) // 2
    with transaction.atomic():
        sound = Sound.objects.create(
            uuid=sound_uuid,
            account=account,
            name=name,
            original_name=original.name[:255],
            path=path,
            duration_ms=int(frames * 1000 / 8000),
            sample_rate=8000,
            waveform=waveform(data),
        )
        audit.record("voice.sound_created", account=account, actor=actor, request=request, target=str(sound.uuid))
    return sound


def delete_sound(*, sound, actor=None, request=None):
    with transaction.atomic():
        audit.record("voice.sound_deleted", account=sound.account, actor=actor, request=request, target=str(sound.uuid))
        sound.delete()
    with contextlib.suppress(ValueError):
        storage.absolute(sound.path).unlink(missing_ok=True)
