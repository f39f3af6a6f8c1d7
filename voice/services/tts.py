"""Text to speech: espeak-ng (Debian) renders telephony WAV (8 kHz, 16-bit mono), cached on disk by
text + voice + language, with a small in-memory layer for the hottest prompts.

The catalog's voices are Amazon Polly ids; each maps to the closest local espeak-ng voice of its
language and gender (`POLLY_VOICES`, documented in docs/voice.md). A request may also give a
language and gender without a voice id (`resolve`).
"""

import hashlib
import io
import os
import subprocess
import threading
import warnings
import wave
from collections import OrderedDict
from functools import lru_cache
from threading import Lock

from portal.core.errors import ValidationFailed
from voice.services import storage

with warnings.catch_warnings():
    # Deprecated for 3.13; this project runs 3.11, and it is the one stdlib resampler (C, ~1 ms).
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 8000
MAX_CHARS = 3000
ESPEAK = "espeak-ng"

# Polly id -> (espeak-ng voice, language tag, gender)
POLLY_VOICES = {
    "Aditi": ("hi", "hi-IN", "Female"),
    "Raveena": ("en-gb", "en-IN", "Female"),
    "Zeina": ("ar", "arb", "Female"),
    "Hala": ("ar", "ar-AE", "Female"),
    "Arlet": ("ca", "ca-ES", "Female"),
    "Hiujin": ("yue", "yue-CN", "Female"),
    "Zhiyu": ("cmn", "cmn-CN", "Female"),
    "Naja": ("da", "da-DK", "Female"),
    "Laura": ("nl", "nl-NL", "Female"),
    "Nicole": ("en-gb", "en-AU", "Female"),
    "Amy": ("en-gb-x-rp", "en-GB", "Female"),
    "Emma": ("en-gb-x-rp", "en-GB", "Female"),
    "Brian": ("en-gb-x-rp", "en-GB", "Male"),
    "Aria": ("en-gb", "en-NZ", "Female"),
    "Ayanda": ("en-gb", "en-ZA", "Female"),
    "Kendra": ("en-us", "en-US", "Female"),
    "Joanna": ("en-us", "en-US", "Female"),
    "Salli": ("en-us", "en-US", "Female"),
    "Kevin": ("en-us", "en-US", "Male"),
    "Matthew": ("en-us", "en-US", "Male"),
    "Justin": ("en-us", "en-US", "Male"),
    "Geraint": ("en-gb-x-gbcwmd", "en-GB-WLS", "Male"),
    "Suvi": ("fi", "fi-FI", "Female"),
    "Léa": ("fr-fr", "fr-FR", "Female"),
    "Lea": ("fr-fr", "fr-FR", "Female"),
    "Chantal": ("fr-fr", "fr-CA", "Female"),
    "Marlene": ("de", "de-DE", "Female"),
    "Hans": ("de", "de-DE", "Male"),
    "Dóra": ("is", "is-IS", "Female"),
    "Dora": ("is", "is-IS", "Female"),
    "Carla": ("it", "it-IT", "Female"),
    "Mizuki": ("ja", "ja-JP", "Female"),
    "Seoyeon": ("ko", "ko-KR", "Female"),
    "Liv": ("nb", "nb-NO", "Female"),
    "Ewa": ("pl", "pl-PL", "Female"),
    "Camila": ("pt-br", "pt-BR", "Female"),
    "Inês": ("pt", "pt-PT", "Female"),
    "Ines": ("pt", "pt-PT", "Female"),
    "Carmen": ("ro", "ro-RO", "Female"),
    "Tatyana": ("ru", "ru-RU", "Female"),
    "Conchita": ("es", "es-ES", "Female"),
    "Mia": ("es-419", "es-MX", "Female"),
    "Lupe": ("es-419", "es-US", "Female"),
    "Astrid": ("sv", "sv-SE", "Female"),
    "Filiz": ("tr", "tr-TR", "Female"),
    "Gwyneth": ("cy", "cy-GB", "Female"),
}
# Language (first part of the tag, or the whole tag) -> espeak-ng voice, for requests without a voice id.
LANGUAGES = {
    "en-us": "en-us",
    "en-gb": "en-gb-x-rp",
    "en-in": "en-gb",
    "en": "en-us",
    "fr": "fr-fr",
    "de": "de",
    "nl": "nl",
    "es": "es",
    "it": "it",
    "pt": "pt",
    "pt-br": "pt-br",
    "ru": "ru",
    "hi": "hi",
    "ar": "ar",
}
# espeak-ng variants: a female and a male voice for every language.
GENDER_VARIANT = {"female": "+f3", "male": "+m3"}
DEFAULT_VOICE = "Joanna"

_memory = OrderedDict()
_memory_lock = Lock()
MEMORY_ITEMS = 256


def resolve(voice_id="", language="", gender=""):
    """(espeak voice with variant, canonical voice label) or a 422 naming the field."""
    gender = str(gender or "").strip().lower()
    if gender and gender not in GENDER_VARIANT:
        raise ValidationFailed({"options.gender": ["The gender must be Female or Male."]})
    voice_id = str(voice_id or "").strip()
    if voice_id:
        if voice_id not in POLLY_VOICES:
            raise ValidationFailed({"options.voiceid": [f"The voice {voice_id} is not available."]})
        espeak, _, polly_gender = POLLY_VOICES[voice_id]
        return espeak + GENDER_VARIANT[(gender or polly_gender).lower()], voice_id
    language = str(language or "").strip().lower()
    if language:
        espeak = LANGUAGES.get(language) or LANGUAGES.get(language.split("-")[0])
        if espeak is None:
            raise ValidationFailed({"options.language": [f"The language {language} is not available."]})
    else:
        espeak = POLLY_VOICES[DEFAULT_VOICE][0]
    return espeak + GENDER_VARIANT[gender or "female"], f"{espeak}/{gender or 'female'}"


def cache_key(text, espeak_voice):
    return _key(str(text or "").strip(), espeak_voice)


def _key(text, espeak_voice):
    return hashlib.sha256(f"{espeak_voice}\x00{text}".encode()).hexdigest()


def to_telephony(wav_bytes):
    """Any 16-bit mono WAV resampled to 8 kHz."""
    with wave.open(io.BytesIO(wav_bytes)) as source:
        rate, width, channels = source.getframerate(), source.getsampwidth(), source.getnchannels()
        frames = source.readframes(source.getnframes())
    if channels == 2:
        frames = audioop.tomono(frames, width, 0.5, 0.5)
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    if rate != RATE:
        frames, _ = audioop.ratecv(frames, 2, 1, rate, RATE, None)
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(RATE)
        target.writeframes(frames)
    return out.getvalue()


@lru_cache(maxsize=1)
def available():
    try:
        subprocess.run([ESPEAK, "--version"], capture_output=True, check=True, timeout=5)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def speak(text, espeak_voice, *, speed=165):
    """Telephony WAV of `text`, from the cache when it was rendered before."""
    text = str(text or "").strip()
    if not text:
        raise ValidationFailed({"text": ["The text field is required."]})
    if len(text) > MAX_CHARS:
        raise ValidationFailed({"text": [f"The text may not be greater than {MAX_CHARS} characters."]})
    key = _key(text, espeak_voice)
    with _memory_lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]
    path = storage.root("tts") / f"{key}.wav"
    if path.exists():
        data = path.read_bytes()
    else:
        result = subprocess.run(  # noqa: S603  (fixed program, text on stdin, never a shell)
            [ESPEAK, "-v", espeak_voice, "-s", str(speed), "--stdout"],
            input=text.encode(),
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0 or not result.stdout:
            raise ValidationFailed({"text": ["The speech could not be rendered."]})
        data = to_telephony(result.stdout)
        tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")  # threads may render the same text
        tmp.write_bytes(data)
        tmp.replace(path)
    with _memory_lock:
        _memory[key] = data
        while len(_memory) > MEMORY_ITEMS:
            _memory.popitem(last=False)
    return data


def seconds_of(wav_bytes):
    with wave.open(io.BytesIO(wav_bytes)) as source:
        return source.getnframes() / source.getframerate()


def with_breaks(text, identifier, pause):
    """Split `text` at the break marker: [(piece, pause after)]."""
    if not identifier:
        return [(text, 0.0)]
    pieces = [p.strip() for p in text.split(identifier)]
    return [(p, pause if i < len(pieces) - 1 else 0.0) for i, p in enumerate(pieces) if p]
