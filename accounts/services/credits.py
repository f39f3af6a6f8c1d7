"""Credit wallets and their append-only ledger.

Every movement locks the wallet row, checks the balance and writes the ledger entry in one
transaction, so concurrent debits can neither drive a balance negative nor lose an update.
"""

import hashlib
import uuid
from contextlib import nullcontext
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction

from accounts.models import Account, LedgerEntry, LedgerKind, Wallet
from accounts.services import audit, balance_alerts
from portal.core.errors import Conflict, DomainError, InsufficientCredit, PermissionDenied

PLACES = Decimal("0.0001")
MAX_AMOUNT = Decimal("1000000000")


def parse_amount(value, *, field="credits"):
    """A positive amount with at most 4 decimals, from a string, int or Decimal."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"The {field} must be a number.", field=field) from None
    if not amount.is_finite():  # NaN, Infinity
        raise DomainError(f"The {field} must be a number.", field=field)
    if amount <= 0:
        raise DomainError(f"The {field} must be greater than 0.", field=field)
    if amount > MAX_AMOUNT:
        raise DomainError(f"The {field} may not be greater than {MAX_AMOUNT}.", field=field)
    amount = amount.quantize(PLACES, rounding=ROUND_HALF_UP)
    if amount == 0:  # rounds away to nothing: would write a zero movement
        raise DomainError(f"The {field} must be at least {PLACES}.", field=field)
    return amount


def get_wallet(account, product_code=""):
    wallet, _ = Wallet.objects.get_or_create(account=account, product_code=product_code)
    return wallet


def balance(account, product_code=""):
    return get_wallet(account, product_code).balance


def _move(
    *,
    account,
    delta,
    kind,
    product_code="",
    actor=None,
    api_key=None,
    reason="",
    reference="",
    idempotency_key=None,
    request_hash="",
):
    """Apply a signed movement to one wallet. Returns the ledger entry (the earlier one when the
    idempotency key was already used). `api_key` names the key of an API call that moved it."""
    get_wallet(account, product_code)  # make sure the row exists before locking it
    with transaction.atomic():
        # Lock the wallet row: two requests may race for the last credits. Looking for an earlier
        # use of the idempotency key only once the lock is held means a retry racing the first
        # attempt waits for it and then finds its entry.
        wallet = Wallet.objects.select_for_update().get(account=account, product_code=product_code)
        if idempotency_key:
            earlier = LedgerEntry.objects.filter(account=account, idempotency_key=idempotency_key).first()
            if earlier:
                return earlier
        new_balance = wallet.balance + delta
        if new_balance < 0 and not wallet.postpaid:
            raise InsufficientCredit("Insufficient credits.")
        if delta < 0:
            balance_alerts.after_debit(account, before=wallet.balance, after=new_balance, product_code=product_code)
        wallet.balance = new_balance
        wallet.save(update_fields=["balance", "updated_at"])
        try:
            with transaction.atomic():
                return LedgerEntry.objects.create(
                    account=account,
                    wallet=wallet,
                    kind=kind,
                    amount=delta,
                    balance_after=new_balance,
                    reason=reason[:255],
                    reference=reference[:100],
                    actor=actor,
                    api_key=api_key,
                    idempotency_key=idempotency_key or None,
                    request_hash=request_hash if idempotency_key else "",
                )
        except IntegrityError:
            # A concurrent request with the same idempotency key won; undo ours.
            transaction.set_rollback(True)
    return LedgerEntry.objects.get(account=account, idempotency_key=idempotency_key)


def debit(*, account, amount, reason, product_code="", actor=None, api_key=None, reference="", idempotency_key=None):
    """Charge credits. Raises InsufficientCredit and changes nothing if the wallet can't cover it."""
    amount = parse_amount(amount)
    return _move(
        account=account,
        delta=-amount,
        kind=LedgerKind.DEBIT,
        product_code=product_code,
        actor=actor,
        api_key=api_key,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
    )


def debit_new(*, account, amount, reason, key, product_code="", actor=None, api_key=None, reference=""):
    """`debit` for a key that cannot have been used before (it names a row the caller creates in
    the same transaction, such as a new batch): no earlier entry to look for, so on PostgreSQL the
    balance check, the update and the ledger entry are one statement instead of seven. The row
    lock is the UPDATE's own, so concurrent debits still serialise and never overdraw."""
    charge = Charge(account, amount, reason, key, product_code, actor, api_key, reference)
    return debit_many([charge])[0]


class Charge(NamedTuple):
    """One debit of `debit_many`: `debit_new`'s arguments."""

    account: Account
    amount: object
    reason: str
    key: str
    product_code: str = ""
    actor: object = None
    api_key: object = None
    reference: str = ""


def debit_many(charges):
    """`debit_new` for every charge, all or none: per wallet one statement locks the row, checks
    the balance covers the wallet's charges together and writes one ledger entry per charge, in
    the order given, each with the balance it leaves (as one debit after another would). Raises
    InsufficientCredit, changing nothing, when any wallet cannot cover its charges. Returns the
    entries' ids in the order of `charges`. Wallets are locked in (account, product) order, so
    two groups of debits never wait on each other's locks in a cycle."""
    charges = [charge._replace(amount=parse_amount(charge.amount)) for charge in charges]
    if connection.vendor != "postgresql":
        return [
            debit(
                account=c.account,
                amount=c.amount,
                reason=c.reason,
                product_code=c.product_code,
                actor=c.actor,
                api_key=c.api_key,
                reference=c.reference,
                idempotency_key=c.key,
            ).pk
            for c in charges
        ]
    by_wallet = {}
    for position, charge in enumerate(charges):
        by_wallet.setdefault((charge.account.pk, charge.product_code), []).append(position)
    ids = [None] * len(charges)
    # Several wallets: all or none (one wallet's statement is atomic by itself).
    with transaction.atomic() if len(by_wallet) > 1 else nullcontext():
        for wallet in sorted(by_wallet):
            positions = by_wallet[wallet]
            for position, entry_id in zip(positions, _debit_wallet([charges[p] for p in positions]), strict=True):
                ids[position] = entry_id
    return ids


def _debit_wallet(charges):
    """One wallet's charges in one statement (see `debit_many`); their entry ids, in order."""
    account, product_code = charges[0].account, charges[0].product_code
    total = sum(c.amount for c in charges)
    # What the charges after each one take: its entry's balance is the final balance plus those.
    later = [total - sum(c.amount for c in charges[: i + 1]) for i in range(len(charges))]
    uuids = [uuid.uuid4() for _ in charges]
    columns = [
        uuids,
        [c.amount for c in charges],
        later,
        [c.reason[:255] for c in charges],
        [c.reference[:100] for c in charges],
        [c.actor.pk if c.actor else None for c in charges],
        [c.api_key.pk if c.api_key else None for c in charges],
        [c.key for c in charges],
    ]
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(_DEBIT_SQL, [total, account.pk, product_code, total, account.pk, LedgerKind.DEBIT, *columns])
            rows = {entry_uuid: (entry_id, balance_after) for entry_id, entry_uuid, balance_after in cursor.fetchall()}
        if rows:
            after = rows[uuids[-1]][1]
            balance_alerts.after_debit(account, before=after + total, after=after, product_code=product_code)
            return [rows[u][0] for u in uuids]
        if Wallet.objects.filter(account=account, product_code=product_code).exists():
            raise InsufficientCredit("Insufficient credits.")
        get_wallet(account, product_code)  # first charge of a new wallet: create it, then try again
    raise InsufficientCredit("Insufficient credits.")


# The UPDATE locks the wallet row and only matches when the balance covers the total (or the
# wallet is postpaid); the INSERT then writes one entry per charge from the balance it returned.
_DEBIT_SQL = """
WITH w AS (
    UPDATE accounts_wallet SET balance = balance - %s, updated_at = now()
    WHERE account_id = %s AND product_code = %s AND (balance >= %s OR postpaid)
    RETURNING id, balance
)
INSERT INTO accounts_ledgerentry
    (uuid, account_id, wallet_id, kind, amount, balance_after, reason, reference, actor_id, api_key_id,
     idempotency_key, created_at)
SELECT e.uuid, %s, w.id, %s, -e.amount, w.balance + e.later, e.reason, e.reference, e.actor_id, e.api_key_id,
    e.key, now()
FROM w, unnest(%s::uuid[], %s::numeric[], %s::numeric[], %s::text[], %s::text[], %s::bigint[], %s::bigint[],
    %s::text[]) WITH ORDINALITY AS e(uuid, amount, later, reason, reference, actor_id, api_key_id, key, n)
ORDER BY e.n
RETURNING id, uuid, balance_after
"""


def refund(*, account, amount, reason, product_code="", reference="", idempotency_key=None):
    amount = parse_amount(amount)
    return _move(
        account=account,
        delta=amount,
        kind=LedgerKind.REFUND,
        product_code=product_code,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
    )


def top_up(*, account, amount, reason="Top-up", actor=None, product_code="", reference="", idempotency_key=None):
    amount = parse_amount(amount)
    entry = _move(
        account=account,
        delta=amount,
        kind=LedgerKind.TOP_UP,
        product_code=product_code,
        actor=actor,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
    )
    audit.record("credits.top_up", account=account, actor=actor, target=f"{amount}", reason=reason)
    return entry


def adjust_by_staff(*, account, amount, direction, reason, actor, product_code="", request=None):
    """Staff add or deduct credits with a mandatory reason."""
    if not reason or not reason.strip():
        raise DomainError("A reason is required.", field="reason")
    amount = parse_amount(amount, field="amount")
    delta = amount if direction == "add" else -amount
    entry = _move(
        account=account,
        delta=delta,
        kind=LedgerKind.ADJUSTMENT,
        product_code=product_code,
        actor=actor,
        reason=reason.strip(),
    )
    audit.record(
        "credits.adjusted",
        account=account,
        actor=actor,
        target=f"{delta:+}",
        request=request,
        reason=reason.strip(),
        balance_after=str(entry.balance_after),
    )
    return entry


def transfer_key(idempotency_key):
    """The ledger key of a client's Idempotency-Key for a transfer: its own namespace (internal keys
    name rows), and a digest so a key of any length fits the column without two keys colliding."""
    return "transfer:" + hashlib.sha256(idempotency_key.encode("utf-8", "surrogatepass")).hexdigest()


def _earlier_transfer(parent, idempotency_key, request_hash):
    """The parent's ledger entry of a transfer that used this Idempotency-Key, or None; the same
    key with another request is a Conflict (Stripe's rule, as on sends)."""
    earlier = LedgerEntry.objects.filter(account=parent, idempotency_key=transfer_key(idempotency_key)).first()
    if earlier is not None and request_hash and earlier.request_hash and earlier.request_hash != request_hash:
        raise Conflict(
            f"The Idempotency-Key {idempotency_key!r} was already used for a different request. Keys for "
            "idempotent requests can only be reused with the same parameters: send the same request to get "
            "its first answer, or a new key for a new request."
        )
    return earlier


def transfer_to_child(
    *,
    parent,
    child_username,
    amount,
    actor=None,
    api_key=None,
    product_code="",
    notes="",
    order_id="",
    idempotency_key="",
    request_hash="",
    request=None,
):
    """Move credits from a reseller to one of its child accounts, both legs in one transaction.
    `api_key` (with `actor`, its holder) names the key of an API call on both ledger entries.

    With an `idempotency_key` (the client's Idempotency-Key) a retry of the same request
    (`request_hash`) returns the first transfer's entry and moves nothing; another request with
    the key is a Conflict. The parent's wallet is locked before the key is looked up, so a retry
    racing the first attempt waits for it and then finds its entry. Returns the parent's entry."""
    if not parent.is_reseller:
        raise PermissionDenied("Only reseller accounts can add credits to customers.")
    amount = parse_amount(amount)
    child = Account.objects.filter(username=child_username).first()
    if child is None:
        raise DomainError("The selected username is invalid.", field="username")
    if child.parent_id != parent.pk:
        raise PermissionDenied("This customer does not belong to your account.")
    reason = notes or f"Credits from {parent.username}"
    get_wallet(parent, product_code)
    with transaction.atomic():
        if idempotency_key:
            Wallet.objects.select_for_update().filter(account=parent, product_code=product_code).first()
            earlier = _earlier_transfer(parent, idempotency_key, request_hash)
            if earlier is not None:
                return earlier
        out = _move(
            account=parent,
            delta=-amount,
            kind=LedgerKind.TRANSFER_OUT,
            product_code=product_code,
            actor=actor,
            api_key=api_key,
            reason=f"To {child.username}: {notes}".strip(": "),
            reference=order_id,
            idempotency_key=transfer_key(idempotency_key) if idempotency_key else None,
            request_hash=request_hash,
        )
        _move(
            account=child,
            delta=amount,
            kind=LedgerKind.TRANSFER_IN,
            product_code=product_code,
            actor=actor,
            api_key=api_key,
            reason=reason,
            reference=order_id,
        )
    for acct in (parent, child):
        audit.record(
            "credits.transferred",
            account=acct,
            actor=actor,
            request=request,
            target=f"{parent.username} -> {child.username}",
            amount=str(amount),
            order_id=order_id,
        )
    return out
