"""Business numbers: staff onboard them for an account; the customer sees them and sends from them."""

import secrets

from django.db import IntegrityError, transaction

from messaging.channels.whatsapp import intake
from messaging.channels.whatsapp.models import MAX_THROUGHPUT, BusinessNumber, Quality, Tier
from portal.core import rules
from portal.core.errors import FieldErrors, ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize

EDITABLE = ("display_name", "quality", "tier", "throughput", "api_base_url", "api_version", "access_token",
            "app_secret", "verify_token", "is_active")  # fmt: skip


def _clean(data, errors, *, creating):
    fields = {}
    if creating or "number" in data:
        try:
            fields["number"] = normalize(str(data.get("number") or ""))[0]
        except InvalidNumber as exc:
            errors.add("number", str(exc))
    for name in EDITABLE:
        if name in data:
            fields[name] = data[name]
    if creating and not str(fields.get("display_name") or "").strip():
        errors.add("display_name", "The display name field is required.")
    if "quality" in fields and fields["quality"] not in Quality.values:
        errors.add("quality", "The selected quality is invalid.")
    if "tier" in fields and fields["tier"] not in Tier.values:
        errors.add("tier", "The selected tier is invalid.")
    if "throughput" in fields:
        try:
            fields["throughput"] = int(fields["throughput"])
        except (TypeError, ValueError):
            fields["throughput"] = 0
        if not 1 <= fields["throughput"] <= MAX_THROUGHPUT:
            errors.add("throughput", f"The throughput must be between 1 and {MAX_THROUGHPUT} messages per second.")
    if creating and not str(data.get("api_base_url") or "").startswith(("http://", "https://")):
        errors.add("api_base_url", "The Cloud API base URL must be an http(s) URL.")
    return fields


def onboard(*, account, data):
    """Staff: add a business number to an account (Cloud API settings included)."""
    errors = FieldErrors()
    fields = _clean(data, errors, creating=True)
    errors.raise_if_any()
    fields.setdefault("access_token", secrets.token_urlsafe(32))
    fields.setdefault("app_secret", secrets.token_urlsafe(24))
    fields.setdefault("verify_token", secrets.token_urlsafe(16))
    phone_number_id = str(data.get("phone_number_id") or f"1{fields['number']}")
    waba_id = str(data.get("waba_id") or f"2{fields['number']}")
    try:
        with transaction.atomic():
            number = BusinessNumber.objects.create(
                account=account, phone_number_id=phone_number_id, waba_id=waba_id, **fields
            )
    except IntegrityError:
        raise ValidationFailed({"number": ["This number is already onboarded."]}) from None
    rules.bump(account)
    intake.forget()
    return number


def update(number, data):
    errors = FieldErrors()
    fields = _clean(data, errors, creating=False)
    fields.pop("number", None)
    errors.raise_if_any()
    for name, value in fields.items():
        setattr(number, name, value)
    number.save()
    rules.bump(number.account)
    intake.forget()
    return number


def owned(account):
    return BusinessNumber.objects.for_account(account).filter(is_active=True)
