"""The credit wallet and its append-only ledger."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from accounts.models import AppendOnlyError, AuditEvent, LedgerEntry, LedgerKind, Wallet
from accounts.services import credits
from portal.core.errors import DomainError, InsufficientCredit, PermissionDenied
from tests.factories import make_account


def ledger(account):
    return list(LedgerEntry.objects.for_account(account).order_by("id"))


def assert_chain(account):
    """Each entry's balance_after is the running sum, and the last one is the wallet balance."""
    running = Decimal(0)
    for entry in ledger(account):
        running += entry.amount
        assert entry.balance_after == running
    assert credits.balance(account) == running


# Movements


def test_top_up_debit_and_refund_keep_a_consistent_chain(account):
    credits.debit(account=account, amount="30", reason="campaign")
    credits.refund(account=account, amount="5.5", reason="rejected messages")
    credits.top_up(account=account, amount="0.25")
    assert credits.balance(account) == Decimal("75.75")
    assert [e.kind for e in ledger(account)] == [
        LedgerKind.TOP_UP,
        LedgerKind.DEBIT,
        LedgerKind.REFUND,
        LedgerKind.TOP_UP,
    ]
    assert [e.amount for e in ledger(account)] == [Decimal("100"), Decimal("-30"), Decimal("5.5"), Decimal("0.25")]
    assert_chain(account)


def test_a_movement_records_its_reason_reference_and_actor(account, owner):
    entry = credits.debit(account=account, amount="2", reason="SMS batch", reference="batch-9", actor=owner)
    entry.refresh_from_db()
    assert (entry.reason, entry.reference, entry.actor, entry.wallet.product_code) == (
        "SMS batch",
        "batch-9",
        owner,
        "",
    )
    assert entry.idempotency_key is None


def test_a_top_up_is_audited(account, owner):
    credits.top_up(account=account, amount="12", reason="Invoice 5", actor=owner)
    event = AuditEvent.objects.filter(account=account, action="credits.top_up").latest("id")
    assert event.target == "12.0000" and event.metadata["reason"] == "Invoice 5" and event.actor == owner


def test_an_unaffordable_debit_raises_and_changes_nothing(account):
    before = ledger(account)
    with pytest.raises(InsufficientCredit) as exc:
        credits.debit(account=account, amount="100.0001", reason="too much")
    assert exc.value.message == "Insufficient credits." and exc.value.field == "credits"
    assert credits.balance(account) == Decimal("100")
    assert ledger(account) == before


def test_a_debit_of_the_exact_balance_leaves_zero(account):
    credits.debit(account=account, amount="100", reason="all of it")
    assert credits.balance(account) == Decimal("0")
    with pytest.raises(InsufficientCredit):
        credits.debit(account=account, amount="0.0001", reason="one more")
    assert_chain(account)


def test_a_postpaid_wallet_may_go_negative(account):
    Wallet.objects.filter(account=account).update(postpaid=True)
    entry = credits.debit(account=account, amount="150", reason="on account")
    assert entry.balance_after == Decimal("-50") and credits.balance(account) == Decimal("-50")


def test_a_first_movement_creates_the_wallet(db):
    fresh, _ = make_account()
    Wallet.objects.filter(account=fresh).delete()
    credits.top_up(account=fresh, amount="3")
    assert Wallet.objects.get(account=fresh, product_code="").balance == Decimal("3")


def test_wallets_are_per_account(account, other_account):
    credits.debit(account=account, amount="10", reason="x")
    assert credits.balance(other_account) == Decimal("50")
    assert_chain(other_account)


# Amount parsing


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0", "The credits must be greater than 0."),
        ("0.00", "The credits must be greater than 0."),
        ("-1", "The credits must be greater than 0."),
        ("-0.0001", "The credits must be greater than 0."),
        ("abc", "The credits must be a number."),
        ("", "The credits must be a number."),
        ("1,5", "The credits must be a number."),
        ("12abc", "The credits must be a number."),
        (None, "The credits must be a number."),
        ("NaN", "The credits must be a number."),
        ("Infinity", "The credits must be a number."),
        ("-Infinity", "The credits must be a number."),
        ("1e12", "The credits may not be greater than 1000000000."),
        ("0.00004", "The credits must be at least 0.0001."),
    ],
)
def test_bad_amounts_are_refused(account, bad, message):
    with pytest.raises(DomainError) as exc:
        credits.debit(account=account, amount=bad, reason="x")
    assert exc.value.message == message and exc.value.field == "credits"
    assert credits.balance(account) == Decimal("100") and len(ledger(account)) == 1


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("1", Decimal("1")),
        (" 2.5 ", Decimal("2.5")),
        (3, Decimal("3")),
        (Decimal("0.0001"), Decimal("0.0001")),
        ("1.00005", Decimal("1.0001")),  # more than 4 decimals: rounded half up
        ("1.00004", Decimal("1.0000")),
        ("0.00005", Decimal("0.0001")),
        ("1e3", Decimal("1000")),
    ],
)
def test_amounts_parse_to_four_decimals(raw, parsed):
    assert credits.parse_amount(raw) == parsed


def test_rounded_amounts_are_what_the_ledger_records(account):
    entry = credits.debit(account=account, amount="1.00005", reason="x")
    assert entry.amount == Decimal("-1.0001") and credits.balance(account) == Decimal("98.9999")


def test_the_field_name_is_part_of_the_message():
    with pytest.raises(DomainError) as exc:
        credits.parse_amount("x", field="amount")
    assert exc.value.message == "The amount must be a number." and exc.value.field == "amount"


# Idempotency


def test_an_idempotency_key_charges_once_and_returns_the_first_entry(account):
    first = credits.debit(account=account, amount="10", reason="x", idempotency_key="req-1")
    again = credits.debit(account=account, amount="10", reason="x", idempotency_key="req-1")
    assert first.pk == again.pk
    assert credits.balance(account) == Decimal("90") and len(ledger(account)) == 2


def test_a_replayed_key_returns_the_first_entry_even_with_other_values(account):
    first = credits.debit(account=account, amount="10", reason="x", idempotency_key="req-1")
    replay = credits.debit(account=account, amount="99", reason="y", idempotency_key="req-1")
    assert replay.pk == first.pk and replay.amount == Decimal("-10")
    assert credits.balance(account) == Decimal("90")


def test_idempotency_keys_are_per_account(account, other_account):
    credits.debit(account=account, amount="10", reason="x", idempotency_key="shared")
    credits.debit(account=other_account, amount="10", reason="x", idempotency_key="shared")
    assert (credits.balance(account), credits.balance(other_account)) == (Decimal("90"), Decimal("40"))


def test_a_refused_debit_does_not_burn_its_key(account):
    with pytest.raises(InsufficientCredit):
        credits.debit(account=account, amount="500", reason="x", idempotency_key="req-2")
    entry = credits.debit(account=account, amount="5", reason="x", idempotency_key="req-2")
    assert entry.amount == Decimal("-5")


# Append-only ledger


def test_the_ledger_is_append_only(account):
    entry = LedgerEntry.objects.for_account(account).first()
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    entry.refresh_from_db()
    assert entry.reason == "Opening credit"
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_a_wallet_with_entries_cannot_be_deleted(account):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Wallet.objects.filter(account=account).delete()


# Staff adjustments and transfers


def test_staff_adjustments_need_a_reason_and_cannot_go_negative(account, owner):
    with pytest.raises(DomainError):
        credits.adjust_by_staff(account=account, amount="1", direction="add", reason=" ", actor=owner)
    with pytest.raises(InsufficientCredit):
        credits.adjust_by_staff(account=account, amount="101", direction="deduct", reason="fix", actor=owner)
    entry = credits.adjust_by_staff(account=account, amount="40", direction="deduct", reason="fix", actor=owner)
    assert entry.kind == LedgerKind.ADJUSTMENT and entry.amount == Decimal("-40") and entry.actor == owner
    credits.adjust_by_staff(account=account, amount="5", direction="add", reason=" goodwill ", actor=owner)
    assert credits.balance(account) == Decimal("65")
    event = AuditEvent.objects.filter(account=account, action="credits.adjusted").latest("id")
    assert event.target == "+5.0000" and event.metadata == {"reason": "goodwill", "balance_after": "65.0000"}
    assert_chain(account)


def test_transfers_only_go_from_a_reseller_to_its_children(db):
    parent, _ = make_account(credits_amount="10", is_reseller=True)
    child, _ = make_account(parent=parent)
    stranger, _ = make_account(credits_amount="10")
    out = credits.transfer_to_child(parent=parent, child_username=child.username, amount="4", order_id="o-1")
    assert out.kind == LedgerKind.TRANSFER_OUT and out.amount == Decimal("-4")
    assert (credits.balance(parent), credits.balance(child)) == (Decimal("6"), Decimal("4"))
    with pytest.raises(PermissionDenied):
        credits.transfer_to_child(parent=parent, child_username=stranger.username, amount="1")
    with pytest.raises(PermissionDenied):
        credits.transfer_to_child(parent=stranger, child_username=child.username, amount="1")
    with pytest.raises(InsufficientCredit):
        credits.transfer_to_child(parent=parent, child_username=child.username, amount="7")
    with pytest.raises(DomainError) as exc:
        credits.transfer_to_child(parent=parent, child_username="nobody", amount="1")
    assert exc.value.field == "username"
    assert (credits.balance(parent), credits.balance(child)) == (Decimal("6"), Decimal("4"))
    assert_chain(parent)
    assert_chain(child)


def test_a_refused_transfer_leaves_no_half_written(db):
    parent, _ = make_account(credits_amount="5", is_reseller=True)
    child, _ = make_account(parent=parent)
    before = (len(ledger(parent)), len(ledger(child)))
    with pytest.raises(InsufficientCredit):
        credits.transfer_to_child(parent=parent, child_username=child.username, amount="5.0001")
    assert (len(ledger(parent)), len(ledger(child))) == before
    assert not AuditEvent.objects.filter(action="credits.transferred").exists()


# Concurrency (PostgreSQL row locks; SQLite serialises whole-database writes, so it proves nothing)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-lock concurrency needs PostgreSQL: run with DATABASE_URL=postgres://...",
)


def _race(workers, job):
    """Run job(worker) in one thread per worker, all released at once; 'ok' or 'refused' each."""
    barrier = threading.Barrier(len(workers))
    results, errors = [], []

    def run(arg):
        try:
            barrier.wait()
            job(arg)
            results.append("ok")
        except InsufficientCredit:
            results.append("refused")
        except Exception as exc:  # surfaced below: a deadlock or a lost row must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_overdraw_or_lose_updates(product_rows):
    account, _ = make_account(credits_amount="70")
    results = _race(range(20), lambda i: credits.debit(account=account, amount="10", reason=f"race {i}"))
    assert results.count("ok") == 7 and results.count("refused") == 13
    final = credits.balance(account)
    assert final == Decimal("0")
    debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT)
    assert debits.count() == 7
    assert -debits.aggregate(total=Sum("amount"))["total"] == Decimal("70") - final
    # Every balance_after appears once: no two debits read the same starting balance.
    assert sorted(e.balance_after for e in debits) == [Decimal(n) for n in range(0, 70, 10)]
    assert_chain(account)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_uneven_debits_spend_exactly_what_they_report(product_rows):
    account, _ = make_account(credits_amount="50")
    amounts = [Decimal(n) for n in (7, 3, 11, 5, 9, 2, 13, 4, 6, 8, 1, 12, 10, 3, 7, 5, 9, 2, 4, 6)]
    _race(range(20), lambda i: credits.debit(account=account, amount=amounts[i], reason=f"race {i}"))
    final = credits.balance(account)
    spent = -LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).aggregate(t=Sum("amount"))["t"]
    assert final >= 0 and spent == Decimal("50") - final
    assert_chain(account)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_charge_once(product_rows):
    account, _ = make_account(credits_amount="100")
    _race(range(10), lambda i: credits.debit(account=account, amount="10", reason="retry", idempotency_key="req-9"))
    assert credits.balance(account) == Decimal("90")
    assert LedgerEntry.objects.filter(account=account, idempotency_key="req-9").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_keep_both_sides_consistent(product_rows):
    parent, _ = make_account(credits_amount="50", is_reseller=True)
    children = [make_account(parent=parent)[0] for _ in range(4)]
    results = _race(
        [c for c in children for _ in range(5)],
        lambda child: credits.transfer_to_child(parent=parent, child_username=child.username, amount="3"),
    )
    assert results.count("ok") == 16 and results.count("refused") == 4
    moved = Decimal(3) * results.count("ok")
    assert credits.balance(parent) == Decimal("50") - moved == Decimal("2")
    assert sum(credits.balance(c) for c in children) == moved
    outs = LedgerEntry.objects.filter(account=parent, kind=LedgerKind.TRANSFER_OUT)
    ins = LedgerEntry.objects.filter(account__in=children, kind=LedgerKind.TRANSFER_IN)
    assert outs.count() == ins.count() == 16
    assert -outs.aggregate(t=Sum("amount"))["t"] == ins.aggregate(t=Sum("amount"))["t"] == moved
    for acct in (parent, *children):
        assert_chain(acct)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_and_debits_on_one_reseller(product_rows):
    parent, _ = make_account(credits_amount="30", is_reseller=True)
    child, _ = make_account(parent=parent)

    def job(i):
        if i % 2:
            credits.transfer_to_child(parent=parent, child_username=child.username, amount="2")
        else:
            credits.debit(account=parent, amount="2", reason="own traffic")

    results = _race(range(20), job)
    assert results.count("ok") == 15
    assert credits.balance(parent) == Decimal("0")
    assert_chain(parent)
    assert_chain(child)


# The one-statement debit of a new batch


def test_debit_new_writes_the_entry_and_balance_in_one_move(account, owner):
    credits.debit_new(account=account, amount="12.5", reason="SMS batch", key="batch:1", reference="b1", actor=owner)
    entry = ledger(account)[-1]
    assert (entry.kind, entry.amount, entry.reason, entry.reference, entry.actor) == (
        LedgerKind.DEBIT,
        Decimal("-12.5"),
        "SMS batch",
        "b1",
        owner,
    )
    assert entry.idempotency_key == "batch:1" and entry.uuid
    assert credits.balance(account) == Decimal("87.5")
    assert_chain(account)


def test_debit_new_refuses_what_the_wallet_cannot_cover(account):
    with pytest.raises(InsufficientCredit):
        credits.debit_new(account=account, amount="100.0001", reason="too much", key="batch:2")
    assert credits.balance(account) == Decimal("100")
    assert len(ledger(account)) == 1


def test_debit_new_creates_a_missing_wallet_and_lets_postpaid_go_negative(db):
    account, _ = make_account()
    with pytest.raises(InsufficientCredit):
        credits.debit_new(account=account, amount="1", reason="x", key="batch:3", product_code="P")
    assert Wallet.objects.filter(account=account, product_code="P").exists()
    Wallet.objects.filter(account=account, product_code="P").update(postpaid=True)
    credits.debit_new(account=account, amount="5", reason="x", key="batch:4", product_code="P")
    assert credits.balance(account, "P") == Decimal("-5")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_new_batch_debits_never_overdraw(product_rows):
    account, _ = make_account(credits_amount="50")
    results = _race(range(80), lambda i: credits.debit_new(account=account, amount="1", reason="x", key=f"batch:{i}"))
    assert results.count("ok") == 50 and results.count("refused") == 30
    assert credits.balance(account) == 0
    debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT)
    assert sorted(e.balance_after for e in debits) == [Decimal(n) for n in range(50)]
    assert_chain(account)


# Several new-batch debits at once (sends committed together)


def _charge(account, amount, n, product_code=""):
    return credits.Charge(account, amount, f"batch {n}", f"batch:{n}", product_code, reference=f"b{n}")


def test_debit_many_writes_one_entry_per_charge_in_order_as_one_debit_after_another(account, other_account):
    ids = credits.debit_many(
        [_charge(account, "1.5", 1), _charge(other_account, "4", 2), _charge(account, "2", 3), _charge(account, "3", 4)]
    )
    entries = LedgerEntry.objects.in_bulk(ids)
    assert [entries[i].reference for i in ids] == ["b1", "b2", "b3", "b4"]
    assert [entries[i].amount for i in ids] == [Decimal("-1.5"), Decimal("-4"), Decimal("-2"), Decimal("-3")]
    assert [entries[i].balance_after for i in ids] == [Decimal("98.5"), Decimal("46"), Decimal("96.5"), Decimal("93.5")]
    assert credits.balance(account) == Decimal("93.5") and credits.balance(other_account) == Decimal("46")
    assert_chain(account)
    assert_chain(other_account)


def test_debit_many_changes_nothing_when_a_wallet_cannot_cover_its_charges(account, other_account):
    with pytest.raises(InsufficientCredit):
        credits.debit_many([_charge(other_account, "4", 1), _charge(account, "60", 2), _charge(account, "40.0001", 3)])
    assert credits.balance(account) == Decimal("100") and credits.balance(other_account) == Decimal("50")
    assert len(ledger(account)) == 1 and len(ledger(other_account)) == 1


def test_debit_many_takes_one_statement_per_wallet(account):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement debit is PostgreSQL's")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        credits.debit_many([_charge(account, "1", n) for n in range(5)])
    assert len(queries) == 1
    assert_chain(account)
