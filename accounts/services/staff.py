"""Operations platform staff perform on customer accounts."""

from django.db import transaction

from accounts.services import audit
from portal.core.errors import DomainError


def set_active(*, account, active, actor, request=None):
    with transaction.atomic():
        account.is_active = active
        account.save(update_fields=["is_active"])
        audit.record(
            "account.activated" if active else "account.deactivated",
            account=account,
            actor=actor,
            target=account.username,
            request=request,
        )
    return account


def set_rate_limit(*, account, per_minute, actor, request=None):
    """Requests per minute per API key; None restores the platform default."""
    if per_minute is not None and not (1 <= per_minute <= 1_000_000):
        raise DomainError("The rate limit must be between 1 and 1000000 requests per minute.", field="rate_limit")
    with transaction.atomic():
        old = account.api_rate_limit
        account.api_rate_limit = per_minute
        account.save(update_fields=["api_rate_limit"])
        audit.record(
            "account.rate_limit_changed",
            account=account,
            actor=actor,
            target=account.username,
            request=request,
            old=old,
            new=per_minute,
        )
    return account
