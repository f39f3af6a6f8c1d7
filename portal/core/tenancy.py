"""Tenant scoping: the one way customer data is read."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404


class TenantQuerySet(models.QuerySet):
    def for_account(self, account):
        if account is None:
            return self.none()
        return self.filter(account=account)


def get_for_account_or_404(model_or_qs, account, **lookup):
    """Another account's object is a 404, never a 403."""
    qs = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs.objects.all()
    try:
        return qs.for_account(account).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def is_uuid(value):
    """Whether `value` reads as a UUID (public ids; anything else cannot name a row)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
