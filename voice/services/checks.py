"""The checks every way of placing a call makes before anything is written: the bridge, the
callee, the flow or audio, calling hours, voice unsubscribers, and the longest a call may last.
`calls` (which writes) and `quotes` (the bulk dry run) share them, so a quote and its send check
the same things."""

import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from messaging import consent
from portal.core import outbound
from portal.core.errors import FieldErrors
from portal.core.phone_numbers import InvalidNumber, normalize
from portal.core.tenancy import is_uuid
from voice.models import Flow, NumberKind, Sound, VoiceNumber, VoiceSettings
from voice.services import pricing

MAX_BULK = 50_000
RETRY_INTERVALS = (0, 5, 15, 30, 45, 60)
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)


def legs_of(flow):
    """Billed legs a call may place: a flow that bridges rings a second, billed leg."""
    bridges = flow is not None and any(step.get("type") == "bridge" for step in flow.definition.get("steps", []))
    return 2 if bridges else 1


def max_call_seconds():
    return int(getattr(settings, "VOICE_MAX_CALL_SECONDS", 600))


def bridge_number(account, value, errors=None):
    value = str(value or "").strip()
    errors = errors if errors is not None else FieldErrors()
    if not value:
        errors.add("bridge", "The bridge field is required.")
        return None
    digits = re.sub(r"[\s+\-()]", "", value)
    found = VoiceNumber.objects.for_account(account).filter(number=digits, kind=NumberKind.BRIDGE).first()
    if found is None:
        errors.add("bridge", "The selected bridge is invalid.")
    return found


def callee(value, field, errors):
    if not str(value or "").strip():
        errors.add(field, f"The {field} field is required.")
        return None, None
    try:
        return normalize(value)
    except InvalidNumber as exc:
        errors.add(field, str(exc))
        return None, None


def find_flow(account, value, errors, field="flow_id"):
    text = str(value or "").strip()
    if not text.isdigit():
        errors.add(field, f"The {field} must be a flow id (a number).")
        return None
    flow = Flow.objects.for_account(account).filter(pk=int(text)).first()
    if flow is None:
        errors.add(field, f"The selected {field} is invalid.")
    return flow


def find_audio(account, value, errors, field="audio"):
    """(reference, known seconds): an uploaded sound's id or an http(s) URL."""
    text = str(value or "").strip()
    if URL.match(text):
        if len(text) > 1000:
            errors.add(field, f"The {field} URL may not be greater than 1000 characters.")
        else:
            try:  # an address the worker would refuse to fetch is refused now, not at call time
                outbound.check_url(text, allow_loopback=settings.VOICE_AUDIO_URLS_ALLOW_LOOPBACK)
            except outbound.Refused as exc:
                errors.add(field, f"The {field} URL cannot be used: {exc}")
        return text, 0.0
    sound = Sound.objects.for_account(account).filter(uuid=text).first() if is_uuid(text) else None
    if sound is None:
        errors.add(field, f"The {field} must be a sound id from Create Sound File or an http(s) URL.")
        return "", 0.0
    return str(sound.uuid), sound.duration_ms / 1000


def check_calling_hours(account, errors, at=None):
    if not has_settings(account):
        return
    hours = account.voice_settings
    moment = (at or timezone.now()).astimezone(ZoneInfo(hours.timezone))
    local = moment.time()
    start, end = hours.calling_start, hours.calling_end
    inside = start <= local < end if start <= end else (local >= start or local < end)
    if not inside:
        errors.add(
            "to",
            f"Calls may be placed only between {start:%H:%M} and {end:%H:%M} ({hours.timezone}); "
            f"it is {local:%H:%M} there.",
        )


def has_settings(account):
    try:
        return account.voice_settings is not None
    except VoiceSettings.DoesNotExist:
        return False


def retry_interval(value, errors):
    text = str(value if value is not None else "0").strip() or "0"
    if not text.isdigit() or int(text) not in RETRY_INTERVALS:
        errors.add("interval", "The interval must be one of 0, 5, 15, 30, 45 or 60 (minutes).")
        return 0
    return int(text)


def short_text(value, field, limit, errors):
    text = str(value or "").strip()
    if len(text) > limit:
        errors.add(field, f"The {field} may not be greater than {limit} characters.")
    return text[:limit]


def suppressed(account, bridge, numbers):
    return consent.suppressed_set(account, "voice", numbers, product_code=pricing.SERVICE, sender=bridge.number)
