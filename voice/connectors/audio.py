"""Small audio helpers shared by connectors: a generated tone as telephony WAV, and RMS."""

import array
import io
import math
import wave

RATE = 8000


def tone(seconds, *, frequency=440.0, rate=RATE, amplitude=0.3):
    """A sine tone as 16-bit mono WAV bytes (the simulator's stand-in for recorded speech)."""
    frames = int(seconds * rate)
    period = [int(amplitude * 32767 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(rate)]
    samples = array.array("h", (period[i % rate] for i in range(frames)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def rms(wav_bytes):
    """Root mean square of 16-bit mono WAV samples (0 for silence)."""
    with wave.open(io.BytesIO(wav_bytes)) as source:
        if source.getsampwidth() != 2:
            return 0.0
        samples = array.array("h", source.readframes(source.getnframes()))
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))
