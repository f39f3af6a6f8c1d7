"""Low-balance alerts: the customer sets a threshold; the debit that takes the general balance
from at or above it to below it alerts once, by e-mail (owners and admins), in-portal
notification and the `portal:balance:low` webhook event, all in the debit's transaction (a
rolled-back debit alerts nobody). The next alert needs the balance back at or above the
threshold first (a top-up), then another crossing.

The threshold is read from the Account the caller already holds (the request's), so the check
costs no query on the send path.
"""

from decimal import Decimal

from django.urls import reverse

from accounts.events import BALANCE_LOW
from accounts.notifications.models import Level
from accounts.notifications.services import notify
from accounts.services import audit
from portal.core import events
from portal.core.errors import ValidationFailed


def crossed(threshold, *, before, after):
    """True for the one movement that takes the balance below the threshold."""
    return threshold is not None and after < threshold <= before


def after_debit(account, *, before, after, product_code=""):
    """Called by every debit of a wallet, inside its transaction."""
    if product_code or not crossed(account.low_balance_threshold, before=before, after=after):
        return
    threshold = account.low_balance_threshold
    events.emit(
        account=account,
        type=BALANCE_LOW,
        payload={
            "account": account.username,
            "balance": f"{after:.4f}",
            "threshold": f"{threshold:.4f}",
        },
    )
    notify(
        account=account,
        title=f"Low balance: {after:.2f} credits left",
        body=f"Your balance fell below your alert threshold of {threshold:.2f} credits. Top up to keep sending.",
        link=reverse("accounts:ledger_list"),
        level=Level.WARNING,
    )


def set_threshold(*, account, value, actor=None, request=None):
    """Set (or, empty, turn off) the account's alert threshold."""
    if value in (None, ""):
        threshold = None
    else:
        try:
            threshold = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValidationFailed({"threshold": ["The threshold must be a number."]}) from None
        if not threshold.is_finite() or threshold < 0 or threshold >= Decimal("1e12"):
            raise ValidationFailed({"threshold": ["The threshold must be between 0 and 999,999,999,999."]})
        threshold = threshold.quantize(Decimal("0.0001"))
    account.low_balance_threshold = threshold
    account.save(update_fields=["low_balance_threshold"])
    audit.record(
        "credits.alert_changed",
        account=account,
        actor=actor,
        request=request,
        target="off" if threshold is None else f"{threshold}",
    )
    return account
