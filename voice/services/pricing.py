"""Voice prices: per-minute rates by country and service, and pulse rounding.

    billable_seconds(seconds, pulse) = ceil(seconds / pulse) * pulse      (0 stays 0)
    charge(seconds, rate, pulse)     = billable / 60 * rate, to 4 places, rounded up

An account's own row overrides the default row (account null) of the same country and service.
"""

import math
from decimal import ROUND_UP, Decimal

from django.db.models import Q

from portal.core.errors import ValidationFailed
from voice.models import VoicePrice

PLACES = Decimal("0.0001")
SERVICE, SUB_SERVICE = "VOC", "VOI"


def billable_seconds(seconds, pulse):
    seconds = max(int(seconds), 0)
    pulse = max(int(pulse), 1)
    return math.ceil(seconds / pulse) * pulse


def charge(seconds, rate, pulse):
    billable = billable_seconds(seconds, pulse)
    return (Decimal(billable) / 60 * Decimal(rate)).quantize(PLACES, rounding=ROUND_UP)


def rate_card(account):
    """The account's prices: its own rows, and the defaults it has no row for."""
    own = VoicePrice.objects.filter(account=account)
    overridden = own.values_list("iso", "service", "sub_service")
    defaults = VoicePrice.objects.filter(account__isnull=True)
    keys = set(overridden)
    default_ids = [p.pk for p in defaults if (p.iso, p.service, p.sub_service) not in keys]
    return VoicePrice.objects.filter(Q(account=account) | Q(pk__in=default_ids))


class PriceBook:
    """Prices looked up once per country for a request (a bulk send asks thousands of times)."""

    def __init__(self, account, service=SERVICE, sub_service=SUB_SERVICE):
        self.account = account
        self.service, self.sub_service = service, sub_service
        self._cache = {}

    def price(self, iso, *, field="to"):
        if iso not in self._cache:
            rows = VoicePrice.objects.filter(
                Q(account=self.account) | Q(account__isnull=True),
                iso=iso,
                service=self.service,
                sub_service=self.sub_service,
                is_active=True,
            ).order_by("account_id")  # NULLs last on PostgreSQL and SQLite: the account's own row first
            row = next((r for r in rows if r.account_id), None) or next(iter(rows), None)
            self._cache[iso] = row
        row = self._cache[iso]
        if row is None:
            raise ValidationFailed({field: [f"Calls to {iso or 'this country'} are not priced for this account."]})
        return row


def reservation(price, max_seconds, legs=1):
    """What a call may cost at most: its longest duration on every leg."""
    return charge(max_seconds, price.rate, price.pulse) * legs
