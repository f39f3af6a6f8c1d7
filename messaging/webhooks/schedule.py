"""The catalogued retry schedule: 10 s, 100 s, 1,000 s, ... (x10 each time), capped at 100,000 s."""

from datetime import timedelta

from django.conf import settings


def retry_delay(failed_attempts):
    """Seconds to wait after the `failed_attempts`-th failed attempt (1 → 10 s, 2 → 100 s, ...)."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 10 ** (max(failed_attempts, 1) - 1), settings.WEBHOOK_RETRY_CAP_SECONDS)


def next_attempt(now, failed_attempts):
    return now + timedelta(seconds=retry_delay(failed_attempts))
