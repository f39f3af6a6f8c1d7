"""Login throttling, TOTP two-factor and recovery codes."""

import hashlib
import secrets
import time

import pyotp
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.brands import current as brand_current
from accounts.brands.resolve import platform_brand
from accounts.models import RecoveryCode, User

RECOVERY_CODE_COUNT = 10


# --- throttling ---------------------------------------------------------------------------


def _bucket(kind, ident):
    digest = hashlib.sha256(str(ident).lower().encode()).hexdigest()[:32]
    return f"throttle:{kind}:{digest}"


def _count(kind, ident):
    return cache.get(_bucket(kind, ident), 0)


def _hit(kind, ident, window):
    key = _bucket(kind, ident)
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        return 1


def login_blocked(email, ip):
    """True when this e-mail or address has failed too often inside the window."""
    return (
        _count("login-user", email) >= settings.LOGIN_FAILURES_PER_USER
        or _count("login-ip", ip) >= settings.LOGIN_FAILURES_PER_IP
    )


def login_failed(email, ip):
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    _hit("login-user", email, window)
    _hit("login-ip", ip, window)


def login_succeeded(email):
    cache.delete(_bucket("login-user", email))


def sensitive_attempt_allowed(kind, ident):
    """Counts one attempt of a catalogued 3-per-5-minutes action (2FA codes, password reset)."""
    return _hit(kind, ident, settings.SENSITIVE_WINDOW_SECONDS) <= settings.SENSITIVE_ATTEMPTS


def reset_sensitive(kind, ident):
    cache.delete(_bucket(kind, ident))


# --- TOTP ---------------------------------------------------------------------------------


def start_totp_setup(user):
    """A fresh secret, stored but not enabled until a code confirms it."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    user.save(update_fields=["totp_secret", "totp_enabled"])
    return user.totp_secret


def provisioning_uri(user):
    # The authenticator app lists the code under the brand the user set it up on.
    issuer = (brand_current.get() or platform_brand()).name
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def verify_totp(user, code):
    """Accept a current code once: a code's time step can't be replayed, not even by two
    sessions submitting it at the same instant (the step moves forward in one conditional
    UPDATE, and only the request whose UPDATE matched is let in)."""
    code = "".join((code or "").split())
    if not user.totp_secret or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = time.time()
    for offset in (-1, 0, 1):  # one step of clock drift either way
        step = int(now // totp.interval) + offset
        if step > user.totp_last_step and secrets.compare_digest(totp.at(step * totp.interval), code):
            claimed = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
            user.totp_last_step = step
            return claimed == 1
    return False


def _hash_code(code):
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def enable_totp(user, code):
    """Confirm setup with a code. Returns the new recovery codes (shown once), or None."""
    if not verify_totp(user, code):
        return None
    with transaction.atomic():
        user.totp_enabled = True
        user.save(update_fields=["totp_enabled"])
        return regenerate_recovery_codes(user)


def disable_totp(user):
    with transaction.atomic():
        user.totp_enabled = False
        user.totp_secret = ""
        user.save(update_fields=["totp_enabled", "totp_secret"])
        user.recovery_codes.all().delete()


def regenerate_recovery_codes(user):
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes.all().delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash_code(c)) for c in codes)
    return codes


def use_recovery_code(user, code):
    updated = RecoveryCode.objects.filter(
        user=user, code_hash=_hash_code((code or "").strip()), used_at__isnull=True
    ).update(used_at=timezone.now())
    return updated == 1
