"""Sends accepted together (`submit.accept`) share their reads, their debit and their dispatch, and
each is answered exactly as it would have been alone, after the sends ahead of it."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline import submit
from messaging.pipeline.models import Batch, Message
from messaging.reports.models import MessageRollup
from messaging.suppressions import services as suppressions
from messaging.suppressions.models import Unsubscriber
from portal.core.errors import Conflict, InsufficientCredit

pytestmark = pytest.mark.django_db

NUMBERS = ["447400130001", "447400130002", "447400130003"]


@pytest.fixture
def uk_price(db):
    from messaging.pricing.services import save_price

    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})


def _uk_account(credits_amount="100", opted_out=()):
    from messaging.review import services as review
    from messaging.senders import services as registry
    from tests.factories import make_account

    account, _ = make_account(credits_amount=credits_amount)
    review.approve(
        item=registry.create_sender(account=account, data={"name": "Group", "service": "G", "country_code": "GB"})
    )
    for number in opted_out:
        suppressions.add_unsubscriber(account=account, data={"receiver": number})
    return account


def _send(account, to, text="Code 1", key=None, request_hash=""):
    return submit.Send(
        account=account,
        channel="sms",
        product_code="G",
        outgoing=[Outgoing(to=n, sender="Group", message=text) for n in to],
        idempotency_key=key,
        request_hash=request_hash if key else "",
    )


def _run_group(sends):
    """What group commit does with one group: `accept` all, then each send marked `alone` again
    as a group of one (after the group), in arrival order."""
    submit.accept(sends)
    for send in sends:
        if send.alone:
            send.alone = False
            submit.accept([send])
    return [_answer(send.outcome) for send in sends]


def _answer(call):
    try:
        submission = call()
    except Exception as exc:  # noqa: BLE001 - compared by type
        return type(exc).__name__
    return submission.replayed, [item["status"] for item in submission.items]


def _sequential(account, requests):
    answers = []
    for to, text, key in requests:
        answers.append(
            _answer(
                lambda to=to, text=text, key=key: submit.submit(
                    account=account,
                    channel="sms",
                    product_code="G",
                    outgoing=[Outgoing(to=n, sender="Group", message=text) for n in to],
                    idempotency_key=key,
                    request_hash=f"{to}{text}" if key else "",
                )
            )
        )
    return answers


def _books(account):
    debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).order_by("id")
    statuses = sorted(Message.objects.filter(account=account).values_list("mobile", "status"))
    return credits.balance(account), [e.amount for e in debits], statuses


requests_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=2).map(tuple),
        st.sampled_from(["Code 1", "Code 2"]),
        st.sampled_from([None, "custom:k1", "custom:k2"]),
    ),
    min_size=2,
    max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=requests_strategy, opted_out=st.sets(st.sampled_from(NUMBERS), max_size=1))
def test_a_group_answers_every_send_as_one_send_after_another_would(uk_price, requests, opted_out):
    # Repeats of an earlier member's message, opt-outs, retried and conflicting keys, duplicates
    # inside one request: the group's answers, books and rows are those of the sequence.
    grouped, alone = _uk_account(opted_out=opted_out), _uk_account(opted_out=opted_out)
    with mock.patch("messaging.pipeline.submit.enqueue"), mock.patch("messaging.pipeline.submit.enqueue_many"):
        together = _run_group([_send(grouped, to, text, key, f"{to}{text}") for to, text, key in requests])
        one_by_one = _sequential(alone, requests)
    assert together == one_by_one
    assert _books(grouped) == _books(alone)


def test_a_message_an_earlier_member_sent_is_refused_as_a_repeat(uk_price):
    account = _uk_account()
    answers = _run_group([_send(account, [NUMBERS[0]]), _send(account, [NUMBERS[1]]), _send(account, [NUMBERS[0]])])
    assert answers == [(False, ["AWAITING-DLR"]), (False, ["AWAITING-DLR"]), (False, ["DUPLICATE"])]
    assert credits.balance(account) == Decimal("98")


def test_a_group_reads_once_debits_once_and_queues_once(uk_price):
    account = _uk_account()
    sends = [_send(account, [n], key=f"custom:{n}") for n in NUMBERS]
    with (
        CaptureQueriesContext(connection) as queries,
        mock.patch("messaging.pipeline.submit.enqueue_many") as enqueue_many,
        mock.patch("messaging.pipeline.submit.enqueue") as enqueue,
    ):
        submit.accept(sends)
        submit._dispatch(sends)  # the hook after the commit (a test's transaction never commits)
    sql = [q["sql"] for q in queries]

    def count(verb, *words):
        return sum(s.lstrip().startswith(verb) and all(w in s for w in words) for s in sql)

    assert count("SELECT", Unsubscriber._meta.db_table) == 1  # opt-outs
    assert count("SELECT", 'FROM "sending_message"') == 1  # the repetition rule
    assert count("SELECT", Batch._meta.db_table, "idempotency_key") == 1
    assert count("WITH", "UPDATE accounts_wallet") == 1  # one debit for the wallet
    assert count("INSERT INTO", Batch._meta.db_table) == 1  # the batches
    # Their message rows: one COPY on PostgreSQL, one INSERT elsewhere.
    assert count("COPY", "sending_message") + count("INSERT INTO", "sending_message") == 1
    assert count("INSERT INTO", MessageRollup._meta.db_table) == 1  # their rollups
    assert [s.result.batch.accepted for s in sends] == [1, 1, 1]
    entries = list(LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).order_by("id"))
    assert [e.reference for e in entries] == [str(s.batch.uuid) for s in sends]  # one entry each, in order
    assert [e.balance_after for e in entries] == [Decimal("99"), Decimal("98"), Decimal("97")]
    enqueue.assert_not_called()
    enqueue_many.assert_called_once_with([s.batch.pk for s in sends], "sms", sends[0].plan.priority)


def test_another_accounts_opt_outs_messages_and_keys_do_not_touch_a_send(uk_price):
    mine, theirs = _uk_account(), _uk_account(opted_out=[NUMBERS[1]])
    answers = _run_group(
        [
            _send(theirs, [NUMBERS[0]], key="custom:same"),  # their batch and message come first
            _send(mine, [NUMBERS[0], NUMBERS[1]], key="custom:same"),
            _send(theirs, [NUMBERS[1]]),
        ]
    )
    assert answers == [
        (False, ["AWAITING-DLR"]),
        (False, ["AWAITING-DLR", "AWAITING-DLR"]),  # not a replay, not a repeat, not opted out
        (False, ["OPTOUT-REJ"]),
    ]


def test_a_debit_the_group_cannot_cover_fails_only_the_sends_the_balance_cannot_cover(uk_price):
    account = _uk_account(credits_amount="3")
    answers = _run_group([_send(account, [f"4474001400{i:02d}"]) for i in range(5)])
    assert answers.count((False, ["AWAITING-DLR"])) == 3
    assert answers.count(InsufficientCredit.__name__) == 2
    assert credits.balance(account) == Decimal("0")
    assert Batch.objects.filter(account=account).count() == 3 == Message.objects.filter(account=account).count()
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count() == 3


def test_a_key_reused_for_another_request_in_a_group_is_a_conflict_of_its_own(uk_price):
    account = _uk_account()
    answers = _run_group(
        [
            _send(account, [NUMBERS[0]], key="custom:k", request_hash="a"),
            _send(account, [NUMBERS[1]], key="custom:k", request_hash="b"),  # waits, then conflicts
            _send(account, [NUMBERS[2]]),
        ]
    )
    assert answers == [(False, ["AWAITING-DLR"]), Conflict.__name__, (False, ["AWAITING-DLR"])]


def test_one_task_dispatches_the_groups_batches_and_one_failure_holds_back_none(caplog):
    from messaging.pipeline import tasks

    done = []

    def dispatch(batch_id, connector=None):
        if batch_id == 2:
            raise ConnectionError("supplier down")
        done.append(batch_id)

    with mock.patch("messaging.pipeline.dispatch.dispatch", side_effect=dispatch):
        tasks.dispatch_batches([1, 2, 3])
    assert done == [1, 3]
    assert "dispatching batch 2 failed" in caplog.text
