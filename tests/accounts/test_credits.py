"""The credit wallet and its append-only ledger."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from accounts.models import AppendOnlyError, LedgerEntry, LedgerKind
from accounts.services import credits
from accounts.services.errors import DomainError, InsufficientCredit, PermissionDenied
from tests.factories import make_account


def test_top_up_debit_and_refund_keep_a_consistent_chain(account):
    credits.debit(account=account, amount="30", reason="campaign")
    credits.refund(account=account, amount="5.5", reason="rejected messages")
    credits.top_up(account=account, amount="0.25")
    assert credits.balance(account) == Decimal("75.75")
    entries = list(LedgerEntry.objects.for_account(account).order_by("id"))
    assert [e.kind for e in entries] == [LedgerKind.TOP_UP, LedgerKind.DEBIT, LedgerKind.REFUND, LedgerKind.TOP_UP]
    running = Decimal(0)
    for e in entries:
        running += e.amount
        assert e.balance_after == running


def test_an_unaffordable_debit_changes_nothing(account):
    before = LedgerEntry.objects.for_account(account).count()
    with pytest.raises(InsufficientCredit):
        credits.debit(account=account, amount="100.0001", reason="too much")
    assert credits.balance(account) == Decimal("100")
    assert LedgerEntry.objects.for_account(account).count() == before


def test_a_debit_of_the_exact_balance_leaves_zero(account):
    credits.debit(account=account, amount="100", reason="all of it")
    assert credits.balance(account) == Decimal("0")


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "", "NaN", "Infinity", "1e12"])
def test_bad_amounts_are_refused(account, bad):
    with pytest.raises(DomainError):
        credits.debit(account=account, amount=bad, reason="x")
    assert credits.balance(account) == Decimal("100")


def test_amounts_round_to_four_decimals(account):
    entry = credits.debit(account=account, amount="1.00005", reason="x")
    assert entry.amount == Decimal("-1.0001")


def test_an_idempotency_key_charges_once(account):
    first = credits.debit(account=account, amount="10", reason="x", idempotency_key="req-1")
    again = credits.debit(account=account, amount="10", reason="x", idempotency_key="req-1")
    assert first.pk == again.pk
    assert credits.balance(account) == Decimal("90")


def test_the_ledger_is_append_only(account):
    entry = LedgerEntry.objects.for_account(account).first()
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_staff_adjustments_need_a_reason_and_cannot_go_negative(account, owner):
    with pytest.raises(DomainError):
        credits.adjust_by_staff(account=account, amount="1", direction="add", reason=" ", actor=owner)
    with pytest.raises(InsufficientCredit):
        credits.adjust_by_staff(account=account, amount="101", direction="deduct", reason="fix", actor=owner)
    entry = credits.adjust_by_staff(account=account, amount="40", direction="deduct", reason="fix", actor=owner)
    assert entry.kind == LedgerKind.ADJUSTMENT and entry.amount == Decimal("-40") and entry.actor == owner
    assert credits.balance(account) == Decimal("60")


def test_transfers_only_go_from_a_reseller_to_its_children(db):
    parent, _ = make_account(credits_amount="10", is_reseller=True)
    child, _ = make_account(parent=parent)
    stranger, _ = make_account(credits_amount="10")
    credits.transfer_to_child(parent=parent, child_username=child.username, amount="4")
    assert (credits.balance(parent), credits.balance(child)) == (Decimal("6"), Decimal("4"))
    with pytest.raises(PermissionDenied):
        credits.transfer_to_child(parent=parent, child_username=stranger.username, amount="1")
    with pytest.raises(PermissionDenied):
        credits.transfer_to_child(parent=stranger, child_username=child.username, amount="1")
    with pytest.raises(InsufficientCredit):
        credits.transfer_to_child(parent=parent, child_username=child.username, amount="7")
    assert (credits.balance(parent), credits.balance(child)) == (Decimal("6"), Decimal("4"))


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock concurrency is tested on PostgreSQL (set DATABASE_URL)"
)


def _race(workers, job):
    barrier = threading.Barrier(len(workers))
    results = []

    def run(arg):
        try:
            barrier.wait()
            job(arg)
            results.append("ok")
        except InsufficientCredit:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_overdraw_or_lose_updates(catalogue):
    account, _ = make_account(credits_amount="70")
    results = _race(range(20), lambda i: credits.debit(account=account, amount="10", reason=f"race {i}"))
    assert results.count("ok") == 7 and results.count("refused") == 13
    assert credits.balance(account) == Decimal("0")
    debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT)
    assert debits.count() == 7
    assert sorted(e.balance_after for e in debits) == [Decimal(n) for n in range(0, 70, 10)]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_keep_both_sides_consistent(catalogue):
    parent, _ = make_account(credits_amount="50", is_reseller=True)
    children = [make_account(parent=parent)[0] for _ in range(4)]
    results = _race(
        [c for c in children for _ in range(5)],
        lambda child: credits.transfer_to_child(parent=parent, child_username=child.username, amount="3"),
    )
    moved = Decimal(3) * results.count("ok")
    assert results.count("ok") == 16
    assert credits.balance(parent) == Decimal("50") - moved
    assert sum(credits.balance(c) for c in children) == moved
