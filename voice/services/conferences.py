"""Conferences: PINs, size and validity; who may join (moderator first)."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import audit
from portal.core.errors import FieldErrors
from voice.models import Conference, NumberKind, VoiceNumber

PIN_DIGITS = 6


def _bounded(value, field, low, high, default, errors):
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        errors.add(field, f"The {field} must be between {low} and {high}.")
        return default
    return int(text)


def dial_in_number(account):
    vmn = VoiceNumber.objects.for_account(account).filter(kind=NumberKind.VMN).first()
    return vmn.number if vmn else getattr(settings, "VOICE_CONFERENCE_NUMBER", "918068280000")


def _pin():
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


def create_conference(*, account, name="", max_people=None, validity=None, actor=None, request=None):
    errors = FieldErrors()
    name = str(name or "").strip()
    if len(name) > 100:
        errors.add("name", "The name may not be greater than 100 characters.")
    people = _bounded(max_people, "max_people", 2, 10, 10, errors)
    days = _bounded(validity, "validity", 7, 365, 30, errors)
    errors.raise_if_any()
    today = timezone.localdate()
    number = dial_in_number(account)
    for _ in range(10):  # PINs are unique per dial-in number; a clash is retried with new ones
        moderator, participant = _pin(), _pin()
        if moderator == participant:
            continue
        try:
            with transaction.atomic():
                conference = Conference.objects.create(
                    account=account,
                    name=name,
                    number=number,
                    moderator_pin=moderator,
                    participant_pin=participant,
                    max_people=people,
                    start_date=today,
                    end_date=today + timedelta(days=days),
                )
                audit.record(
                    "voice.conference_created",
                    account=account,
                    actor=actor,
                    request=request,
                    target=str(conference.uuid),
                )
                return conference
        except IntegrityError:
            continue
    raise RuntimeError("no free conference PIN")


def admit(conference, pin, present, *, today=None):
    """Whether a caller with `pin` may join now, given the roles already `present` (a list of
    "moderator"/"participant"): (role, None) or (None, reason)."""
    today = today or timezone.localdate()
    if not conference.start_date <= today <= conference.end_date:
        return None, "expired"
    if pin == conference.moderator_pin:
        role = "moderator"
    elif pin == conference.participant_pin:
        role = "participant"
    else:
        return None, "wrong pin"
    if len(present) >= conference.max_people:
        return None, "full"
    if role == "participant" and "moderator" not in present:
        return role, "waiting for the moderator"
    return role, None


def find_by_pin(number, pin, today=None):
    today = today or timezone.localdate()
    return (
        Conference.objects.filter(number=number, start_date__lte=today, end_date__gte=today)
        .filter(moderator_pin=pin)
        .first()
        or Conference.objects.filter(number=number, start_date__lte=today, end_date__gte=today)
        .filter(participant_pin=pin)
        .first()
    )


def open_on(number, today=None):
    """A conference valid today on this dial-in number, or None."""
    today = today or timezone.localdate()
    return Conference.objects.filter(number=number, start_date__lte=today, end_date__gte=today).first()
