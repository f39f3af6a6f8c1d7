"""Money for calls: reserved when accepted, settled once on hangup.

`reserve` debits the maximum a call (or a bulk group) may cost, in the caller's transaction, so a
call that is refused or never written costs nothing. `settle(call_ids)` refunds
`reserved - charges` of every final, unsettled call among them in ONE transaction that also flips
their `settled` flag under row locks: a retried or concurrent settle finds them settled and
refunds nothing. The sweeper (`sweep`) settles calls a crashed worker left behind.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum

from accounts.models import Account
from accounts.services import credits
from voice.models import Call, CallStatus

REASON_RESERVE = "Voice call reservation"
REASON_SETTLE = "Voice call settlement"


def reserve(*, account, amount, reference, api_key=None, actor=None):
    if amount <= 0:
        return None
    return credits.debit(
        account=account,
        amount=amount,
        reason=REASON_RESERVE,
        reference=reference,
        api_key=api_key,
        actor=actor,
        idempotency_key=f"voice:reserve:{reference}",
    )


def settle(call_ids):
    """Refund the unused reservation of these calls once; returns the amount refunded per account."""
    refunded = {}
    with transaction.atomic():
        calls = (
            Call.objects.select_for_update()
            .filter(pk__in=list(call_ids), settled=False, status__in=CallStatus.FINAL)
            .order_by("pk")
        )
        locked = list(calls.values_list("pk", "account_id"))
        if not locked:
            return refunded
        ids = [pk for pk, _ in locked]
        rows = (
            Call.objects.filter(pk__in=ids)
            .values("account_id")
            .annotate(back=Sum(F("reserved") - F("charges")))
            .order_by("account_id")
        )
        Call.objects.filter(pk__in=ids).update(settled=True)
        for row in rows:
            back = Decimal(row["back"] or 0)
            if back > 0:
                credits.refund(
                    account=Account.objects.get(pk=row["account_id"]),
                    amount=back,
                    reason=REASON_SETTLE,
                    reference=f"{len(ids)} calls from {ids[0]}",
                )
            refunded[row["account_id"]] = back
    return refunded
