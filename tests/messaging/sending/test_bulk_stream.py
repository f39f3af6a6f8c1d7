"""A batch written by COPY is scrubbed while its rows stream into the COPY (messaging.pipeline.submit):
it writes and answers exactly what the dry run (`quote`) computes, a failure mid-COPY leaves
nothing and charges nothing, and a retry with the same key replays the first answer."""

from unittest import mock

import psycopg
import pytest
from django.db import connection

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms import sending
from messaging.channels.sms.adapter import SmsAdapter
from messaging.channels.sms.sending import Outgoing
from messaging.operators import lookup
from messaging.operators import services as operator_services
from messaging.pipeline import persist
from messaging.pipeline.models import Batch, Message, RefusedNumbers
from messaging.reports.models import MessageRollup
from messaging.suppressions import services as suppressions
from portal.core.errors import InsufficientCredit

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")

TEXT = "Your order 5512 has shipped."
COUNT = persist.COPY_FROM + 100


def outgoing(text=TEXT):
    """A batch past COPY_FROM with each kind of refusal: an invalid number, a destination without
    a price, a number listed twice and an opted-out one."""
    numbers = [f"4474001{i:05d}" for i in range(COUNT)]
    numbers[10] = "12ab"
    numbers[20] = "919876543210"  # India: the G service has no price there
    numbers[30] = numbers[31]
    return [Outgoing(to=n, sender="AcmeUK", message=text, custom=f"c{i}") for i, n in enumerate(numbers)]


@pytest.fixture
def funded(account, sending_setup):
    credits.top_up(account=account, amount="5000")
    suppressions.add_unsubscriber(account=account, data={"receiver": "447400100040"})
    return account


@pytest.fixture
def enqueued():
    with mock.patch("messaging.pipeline.submit.enqueue") as enqueue:
        yield enqueue


def nothing_written(account, balance):
    assert not Batch.objects.filter(account=account).exists()
    assert not Message.objects.filter(account=account).exists()
    assert not RefusedNumbers.objects.filter(account=account).exists()
    assert not MessageRollup.objects.filter(account=account).exists()
    assert not LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).exists()
    assert credits.balance(account) == balance


def test_a_streamed_batch_writes_and_answers_what_the_dry_run_quotes(
    funded, enqueued, django_capture_on_commit_callbacks
):
    assert persist.streams(COUNT)
    dry = sending.quote(account=funded, product_code="G", outgoing=outgoing())
    balance = credits.balance(funded)

    with django_capture_on_commit_callbacks(execute=True):
        submission = sending.submit(account=funded, product_code="G", outgoing=outgoing())

    batch = submission.batch
    group = str(batch.uuid)
    # The same answer, item for item (the submit time is the send's own).
    assert [{**item, "id": f"{group}:{item['id']}", "submitted_at": ""} for item in dry.items] == [
        {**item, "submitted_at": ""} for item in submission.items
    ]
    assert (batch.total, batch.accepted, batch.cost, batch.unique_recipients) == (
        dry.total,
        dry.accepted,
        dry.cost,
        dry.unique,
    )
    assert batch.total == COUNT and batch.accepted == COUNT - 4
    stored = Batch.objects.get(pk=batch.pk)
    assert stored.response == {"data": submission.items[:1000]} and stored.cost == dry.cost
    columns = SmsAdapter.columns
    rows = list(Message.objects.filter(batch=batch).order_by("index").values_list(*columns))
    assert rows == dry.rows  # the invalid number and the unpriced destination have no row
    assert len(rows) == COUNT - 2
    statuses = {item["status"] for item in submission.items}
    assert statuses == {"AWAITING-DLR", "INV-NUMBER", "NOTALLOWED", "DUPLICATE", "OPTOUT-REJ"}
    assert RefusedNumbers.objects.filter(batch=batch).count() == 2
    # Paid once, after the rows, with what the dry run quoted.
    debit = LedgerEntry.objects.get(account=funded, kind=LedgerKind.DEBIT)
    assert debit.amount == -dry.cost and credits.balance(funded) == balance - dry.cost
    enqueued.assert_called_once()


def test_a_streamed_batch_gives_the_figures_of_an_unstreamed_one(funded, enqueued):
    streamed = sending.submit(account=funded, product_code="G", outgoing=outgoing())
    with mock.patch.object(persist, "COPY_FROM", COUNT * 2):  # INSERTs, scrubbed before the write
        assert not persist.streams(COUNT)
        inserted = sending.submit(account=funded, product_code="G", outgoing=outgoing("Another text."))
    strip = {"id", "length", "submitted_at"}
    assert [{k: v for k, v in i.items() if k not in strip} for i in streamed.items] == [
        {k: v for k, v in i.items() if k not in strip} for i in inserted.items
    ]
    for field in ("total", "accepted", "cost", "unique_recipients"):
        assert getattr(streamed.batch, field) == getattr(inserted.batch, field)
    same = ("index", "mobile", "iso", "state", "status", "status_code", "price", "charges", "custom", "operator")
    assert list(Message.objects.filter(batch=streamed.batch).order_by("index").values_list(*same)) == list(
        Message.objects.filter(batch=inserted.batch).order_by("index").values_list(*same)
    )


# Real transactions (not the test's savepoint); the catalogue rows are restored after each.
@pytest.mark.django_db(transaction=True)
def test_a_failure_while_scrubbing_into_the_copy_leaves_nothing_and_charges_nothing(product_rows, funded, enqueued):
    balance = credits.balance(funded)
    row = SmsAdapter.row

    def failing(self, index, *args):
        if index == COUNT - 50:  # past the first rows, which the server has already taken
            raise RuntimeError("scrub failed")
        return row(self, index, *args)

    with mock.patch.object(SmsAdapter, "row", failing), pytest.raises(RuntimeError, match="scrub failed"):
        sending.submit(account=funded, product_code="G", outgoing=outgoing())
    nothing_written(funded, balance)
    enqueued.assert_not_called()


@pytest.mark.django_db(transaction=True)
def test_a_block_the_database_refuses_mid_copy_leaves_nothing_and_charges_nothing(product_rows, funded, enqueued):
    balance = credits.balance(funded)
    copy_text = SmsAdapter.copy_text

    def broken(self, rows, tail):
        blocks = copy_text(self, rows, tail, block=4096)
        yield next(blocks)
        yield "not\ta\tmessage\n"
        yield from blocks

    with mock.patch.object(SmsAdapter, "copy_text", broken), pytest.raises(psycopg.DataError):
        sending.submit(account=funded, product_code="G", outgoing=outgoing())
    nothing_written(funded, balance)
    enqueued.assert_not_called()


def test_a_retried_streamed_send_replays_its_answer_and_charges_once(funded, enqueued):
    first = sending.submit(account=funded, product_code="G", outgoing=outgoing(), idempotency_key="key:bulk-1")
    balance = credits.balance(funded)
    again = sending.submit(account=funded, product_code="G", outgoing=outgoing(), idempotency_key="key:bulk-1")
    assert again.replayed and again.batch.pk == first.batch.pk
    assert again.items == first.items[:1000]
    assert Batch.objects.filter(account=funded).count() == 1
    assert LedgerEntry.objects.filter(account=funded, kind=LedgerKind.DEBIT).count() == 1
    assert credits.balance(funded) == balance


def test_an_unaffordable_streamed_send_is_refused_whole(account, sending_setup, enqueued):
    balance = credits.balance(account)  # 100 credits: 600 messages at 2 cannot be paid
    with pytest.raises(InsufficientCredit):
        sending.submit(account=account, product_code="G", outgoing=outgoing())
    nothing_written(account, balance)


def test_ported_numbers_are_read_before_the_copy_starts(funded, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operator_services.load("iso,prefix,operator\nGB,447,UK Mobile\n", kind="prefixes")
        operator_services.load("mobile,operator\n447400100005,Ported Co\n", kind="ported")
    try:
        batch = sending.submit(account=funded, product_code="G", outgoing=outgoing()).batch
        stored = dict(Message.objects.filter(batch=batch).values_list("mobile", "operator"))
        assert stored["447400100005"] == "Ported Co" and stored["447400100006"] == "UK Mobile"
    finally:
        lookup._Table.version, lookup._Table.checked = object(), 0.0
