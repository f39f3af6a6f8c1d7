"""Operation 3, text to speech: the text becomes a generated flow (say steps split at the break
marker, repeated `iteration_tries` times with `iteration_delay` between), then an outgoing call."""

import math
from decimal import Decimal, InvalidOperation

from portal.core.errors import FieldErrors, ValidationFailed
from voice.services import calls, flows, tts

MAX_ITERATIONS = 5
MAX_PIECES = 10


def _number(value, field, low, high, default, errors):
    if value in (None, ""):
        return default
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.add(field, f"The {field} must be a number.")
        return default
    if not number.is_finite() or not low <= number <= high:
        errors.add(field, f"The {field} must be between {low} and {high}.")
        return default
    return number


def tts_definition(text, options):
    """The generated flow's definition (checked by flows.create_flow like any other)."""
    options = options or {}
    if not isinstance(options, dict):
        raise ValidationFailed({"options": ["The options must be an object."]})
    errors = FieldErrors()
    text = str(text or "").strip()
    if not text:
        errors.add("text", "The text field is required.")
    elif len(text) > tts.MAX_CHARS:
        errors.add("text", f"The text may not be greater than {tts.MAX_CHARS} characters.")
    brk = options.get("break") or {}
    if not isinstance(brk, dict):
        errors.add("options.break", "The options.break must be an object with identifier and time.")
        brk = {}
    identifier = str(brk.get("identifier") or "")[:10]
    pause = _number(brk.get("time"), "options.break.time", 0, 10, Decimal(0), errors)
    tries = _number(options.get("iteration_tries"), "options.iteration_tries", 1, MAX_ITERATIONS, Decimal(1), errors)
    delay = _number(options.get("iteration_delay"), "options.iteration_delay", 0, 10, Decimal("0.5"), errors)
    if tries != int(tries):
        errors.add("options.iteration_tries", "The options.iteration_tries must be a whole number.")
    errors.raise_if_any()
    tts.resolve(options.get("voiceid"), options.get("language"), options.get("gender"))  # 422 on unknown voices
    pieces = tts.with_breaks(text, identifier, float(pause))[:MAX_PIECES]
    steps = []
    for attempt in range(int(tries)):
        for index, (piece, gap) in enumerate(pieces):
            last_piece = index == len(pieces) - 1
            gap = float(delay) if last_piece and attempt < int(tries) - 1 else gap
            steps.append(
                {
                    "id": f"say_{attempt}_{index}",
                    "type": "say",
                    # The text is spoken as given: braces in it are not flow variables.
                    "text": piece.replace("{{", "{ {").replace("}}", "} }"),
                    "voice": str(options.get("voiceid") or ""),
                    "language": str(options.get("language") or ""),
                    "gender": str(options.get("gender") or "").lower(),
                    "pause": math.ceil(gap),
                }
            )
    for current, following in zip(steps, steps[1:], strict=False):
        current["next"] = following["id"]
    return {"start": steps[0]["id"], "steps": steps}


def outgoing_tts(*, account, bridge, to, text, options=None, api_key=None, actor=None, **extra):
    definition = tts_definition(text, options)
    errors = FieldErrors()
    calls.bridge_number(account, bridge, errors)
    calls.callee(to, "to", errors)
    errors.raise_if_any()
    flow = flows.create_flow(account=account, name=f"TTS {str(text)[:40]}", definition=definition, generated=True)
    return calls.outgoing(
        account=account, bridge=bridge, to=to, flow=flow, options=options, api_key=api_key, actor=actor, **extra
    )
