"""`POST /api/v2/finance/credits` takes an Idempotency-Key with the rules of the sends (Stripe's):
the same key with the same request answers the first answer and moves nothing again; the same
key with another request is a 409 and moves nothing; a retry racing the first attempt waits for it."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from tests.api.helpers import bearer
from tests.factories import make_account, make_key

CREDITS = "/api/v2/finance/credits"
ADDED = {"status": "OK", "message": "Balance added Successfully"}
CONFLICT = (
    "was already used for a different request. Keys for idempotent requests can only be reused with the same "
    "parameters: send the same request to get its first answer, or a new key for a new request."
)


@pytest.fixture
def family(db):
    parent, _ = make_account(credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent)
    return parent, child, bearer(make_key(parent)[1])


def transfer(client, child, amount="10", key=None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(CREDITS, {"username": child.username, "credits": amount, **body}, format="json", **headers)


def moved(parent, child):
    outs = LedgerEntry.objects.filter(account=parent, kind=LedgerKind.TRANSFER_OUT).count()
    ins = LedgerEntry.objects.filter(account=child, kind=LedgerKind.TRANSFER_IN).count()
    return outs, ins, credits.balance(parent), credits.balance(child)


def test_a_retry_with_the_same_key_and_body_answers_again_and_moves_once(family):
    parent, child, client = family
    first = transfer(client, child, key="invoice-1001", notes="Invoice 1001")
    again = transfer(client, child, key="invoice-1001", notes="Invoice 1001")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == ADDED
    assert moved(parent, child) == (1, 1, Decimal("90"), Decimal("10"))


def test_the_same_key_with_another_body_is_a_409_and_moves_nothing(family):
    parent, child, client = family
    assert transfer(client, child, key="invoice-1002").status_code == 200
    res = transfer(client, child, amount="25", key="invoice-1002")
    assert res.status_code == 409
    assert res.json() == {"status": "failed", "code": 409, "message": f"The Idempotency-Key 'invoice-1002' {CONFLICT}"}
    assert moved(parent, child) == (1, 1, Decimal("90"), Decimal("10"))


def test_the_same_request_spelt_as_a_form_is_the_same_request(family):
    parent, child, client = family
    assert transfer(client, child, key="k-form").status_code == 200
    res = client.post(CREDITS, {"credits": "10", "username": child.username}, HTTP_IDEMPOTENCY_KEY="k-form")
    assert res.status_code == 200 and res.json() == ADDED
    assert moved(parent, child)[:2] == (1, 1)


def test_without_a_key_every_request_moves_credits(family):
    parent, child, client = family
    assert transfer(client, child).status_code == transfer(client, child).status_code == 200
    assert moved(parent, child) == (2, 2, Decimal("80"), Decimal("20"))


def test_different_keys_are_different_transfers(family):
    parent, child, client = family
    assert transfer(client, child, key="a").status_code == transfer(client, child, key="b").status_code == 200
    assert moved(parent, child)[:2] == (2, 2)


def test_keys_belong_to_the_reseller_that_used_them(family):
    parent, child, client = family
    other, _ = make_account(credits_amount="100", is_reseller=True)
    others_child, _ = make_account(parent=other)
    assert transfer(client, child, key="shared").status_code == 200
    # Another reseller's identical key is a key of its own: a transfer, not a replay or a 409.
    assert transfer(bearer(make_key(other)[1]), others_child, key="shared").status_code == 200
    assert credits.balance(others_child) == Decimal("10")


def test_a_refused_transfer_does_not_use_up_its_key(family):
    parent, child, client = family
    res = transfer(client, child, amount="500", key="k-retry")
    assert res.status_code == 422 and res.json()["message"] == "Insufficient credits."
    credits.top_up(account=parent, amount="1000")
    assert transfer(client, child, amount="500", key="k-retry").status_code == 200
    assert credits.balance(child) == Decimal("500")


def test_the_key_is_kept_on_the_ledger_with_the_request_hash(family):
    parent, child, client = family
    transfer(client, child, key="invoice-1003")
    out = LedgerEntry.objects.get(account=parent, kind=LedgerKind.TRANSFER_OUT)
    assert out.idempotency_key == credits.transfer_key("invoice-1003")
    assert len(out.request_hash) == 64
    # The child's leg carries no key: only the caller's side answers for the request.
    assert LedgerEntry.objects.get(account=child, kind=LedgerKind.TRANSFER_IN).idempotency_key is None


def test_a_key_of_any_length_fits(family):
    parent, child, client = family
    key = "k" * 1000
    assert transfer(client, child, key=key).status_code == transfer(client, child, key=key).status_code == 200
    assert moved(parent, child)[:2] == (1, 1)


def test_the_schema_declares_the_header_and_the_409(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][CREDITS]["post"]
    assert "Idempotency-Key" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert "409" in operation["responses"]


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock concurrency needs PostgreSQL (DATABASE_URL=postgres://...)"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_at_the_same_instant_moves_credits_once(product_rows):
    parent, _ = make_account(credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent)
    secret = make_key(parent)[1]
    barrier = threading.Barrier(8)
    answers, errors = [], []

    def submit():
        try:
            client = bearer(secret)
            barrier.wait()
            res = transfer(client, child, amount="30", key="double-click")
            answers.append((res.status_code, res.json()))
        except Exception as exc:  # a deadlock or a crash must fail the test, not vanish in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert answers == [(200, ADDED)] * 8
    assert moved(parent, child) == (1, 1, Decimal("70"), Decimal("30"))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_with_different_bodies_moves_one_of_them(product_rows):
    parent, _ = make_account(credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent)
    secret = make_key(parent)[1]
    barrier = threading.Barrier(2)
    codes, errors = [], []

    def submit(amount):
        try:
            client = bearer(secret)
            barrier.wait()
            codes.append(transfer(client, child, amount=amount, key="same-key").status_code)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(amount,)) for amount in ("10", "20")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and sorted(codes) == [200, 409]
    outs, ins, parent_balance, child_balance = moved(parent, child)
    assert (outs, ins) == (1, 1)
    assert parent_balance + child_balance == Decimal("100") and child_balance in (Decimal("10"), Decimal("20"))
