"""A second channel, made up here and not shipped, exercises the adapter interface end to end:
accept, common and channel scrub rules, one debit, dispatch through a fake connector at its rate,
receipts in the channel's own vocabulary mapped onto the canonical order, and status events."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging import consent
from messaging.models import AccountProduct, Product
from messaging.pipeline import channels, connectors, receipts, submit, tasks
from messaging.pipeline.channels import ChannelAdapter, Refusal, Rejection
from messaging.pipeline.models import Message, Priority, State
from messaging.pipeline.status import Progress
from messaging.pricing.services import save_price
from messaging.suppressions.models import ScopeType, Unsubscriber
from portal.core import events
from portal.core.errors import ValidationFailed
from portal.core.events.models import Event
from tests.messaging.pipeline.toy_events import toy_event

pytestmark = pytest.mark.django_db


@dataclass(slots=True)
class Ping:
    to: str
    sender: str
    body: str
    custom: str = ""
    webhook_id: str = ""


class ToyAdapter(ChannelAdapter):
    name = "toy"
    label = "Toy"
    status_event = "toy:message:status"
    queues = {Priority.HIGH: "toy-high", Priority.BULK: "toy-bulk"}
    default_connector = "toy-fake"
    columns = (
        "index", "mobile", "iso", "sender", "text", "encoding", "length", "units", "price", "charges", "state",
        "status", "status_code", "custom", "webhook_id", "content",
    )  # fmt: skip
    STATUSES = {"accepted": Progress.SENT, "handed": Progress.DELIVERED, "seen": Progress.READ}

    def validate(self, outgoing, errors):
        if any(not o.body for o in outgoing):
            errors.add("body", "The body field is required.")

    def content_key(self, o):
        return (o.sender, o.body)

    def prepare(self, outgoing):
        return {(o.sender, o.body): {"body": o.body, "size": len(o.body)} for o in outgoing}

    def units(self, prepared):
        return 2 if prepared["size"] > 10 else 1

    def text(self, prepared):
        return prepared["body"]

    def scrub_context(self, account, product, *, version, outgoing, prepared, now):
        return {"banned": "forbidden"}

    def check_content(self, ctx, o, prepared):
        if ctx["banned"] in o.body:
            return Rejection("BLOCKED", "B1", "Banned word."), None
        return None, None

    def rejection(self, kind, detail=""):
        codes = {
            Refusal.INVALID_ADDRESS: "BAD-TO",
            Refusal.DESTINATION_NOT_ENABLED: "NO-ROUTE",
            Refusal.OPTED_OUT: "STOPPED",
            Refusal.REPEATED: "REPEAT",
            Refusal.DUPLICATE: "TWICE",
        }
        return Rejection(codes[kind], "T" + str(len(codes[kind])), detail)

    def supplier_refusal(self):
        return Rejection("REFUSED", "T9")

    def row(self, index, o, p, extra, mobile, iso, price, charges, state, status, code):
        units = self.units(p)
        return (index, mobile, iso, o.sender, p["body"], "toy", p["size"], units, price, charges, state, status, code,
                o.custom, o.webhook_id, {"kind": "ping", "body": p["body"]})  # fmt: skip

    def item(self, index, o, p, mobile, iso, charges, status, submitted, code=""):
        return {"id": index, "to": mobile, "status": status, "credits": float(charges)}

    def progress_of(self, status):
        return self.STATUSES.get(status, Progress.FAILED)

    def status_events(self, rows, status, at, code=""):
        for r in rows:
            yield events.pending(
                account_id=r.account_id,
                type=self.status_event,
                payload={"id": f"{r.group}:{r.index}", "to": r.mobile, "status": status},
                webhook_id=r.webhook_id,
            )

    def simulated_outcomes(self):
        return ("D", "handed"), [("X", "bounced")]


class FakeConnector:
    """Takes every message, answers with an id of its own, remembers what it was handed."""

    idempotent = True
    handed = []

    def __init__(self, *, name, channel, rate, options):
        self.name, self.channel, self.rate = name, channel, rate

    def submit(self, messages):
        FakeConnector.handed.extend(messages)
        return [f"fake-{m.index}" for m in messages]


@pytest.fixture
def toy(account, settings, monkeypatch):
    # A shipped channel is one of the product channels consent knows (messaging.models.Channel).
    monkeypatch.setattr(consent, "CHANNELS", consent.CHANNELS | {"toy"})
    settings.CONNECTOR_RATES = {"default": 1000, "toy-fake": 3}
    channels.register(ToyAdapter())
    connectors.register_kind("toy-fake", FakeConnector)
    FakeConnector.handed = []
    product = Product.objects.create(code="TOY", display_name="Toy pings", channel="toy")
    AccountProduct.objects.create(account=account, product=product)
    save_price(data={"service": "TOY", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1.5"})
    Unsubscriber.objects.create(account=account, channel="toy", receiver="447400000004", type=ScopeType.ALL)
    with toy_event():
        yield product
    channels.unregister("toy")


def _pings():
    return [
        Ping(to="447400000001", sender="Toys", body="hello"),  # accepted, 1 unit
        Ping(to="447400000002", sender="Toys", body="hello again, friend"),  # accepted, 2 units
        Ping(to="447400000003", sender="Toys", body="a forbidden word"),  # the channel's content rule
        Ping(to="447400000004", sender="Toys", body="hello"),  # consent: opted out of toy
        Ping(to="12", sender="Toys", body="hello"),  # not a number
        Ping(to="919876543210", sender="Toys", body="hello"),  # no price to India
        Ping(to="447400000001", sender="Toys", body="hello"),  # twice in the request
    ]


def test_a_second_channel_runs_the_whole_pipeline(account, toy, django_capture_on_commit_callbacks):
    balance = credits.balance(account)
    quote = submit.quote(account=account, channel="toy", product_code="TOY", outgoing=_pings())
    assert quote.accepted == 2 and quote.cost == Decimal("4.5")
    assert quote.refused == {"BLOCKED": 1, "STOPPED": 1, "BAD-TO": 1, "NO-ROUTE": 1, "TWICE": 1}
    assert credits.balance(account) == balance and not Message.objects.exists()  # a dry run writes nothing

    with (
        mock.patch("messaging.pipeline.submit.enqueue") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = submit.submit(account=account, channel="toy", product_code="TOY", outgoing=_pings())
    enqueue.assert_called_once_with(sent.batch.pk, "toy", Priority.HIGH)
    assert [i["status"] for i in sent.items] == [
        "AWAITING-DLR", "AWAITING-DLR", "BLOCKED", "STOPPED", "BAD-TO", "NO-ROUTE", "TWICE",
    ]  # fmt: skip
    assert sent.batch.channel == "toy" and sent.batch.accepted == 2 and sent.batch.cost == quote.cost
    assert credits.balance(account) == balance - quote.cost  # the quote is the charge
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count() == 1
    stored = Message.objects.get(batch=sent.batch, index=2)
    assert stored.channel == "toy" and stored.units == 2 and stored.content == {"kind": "ping", "body": stored.text}

    with mock.patch("messaging.pipeline.dispatch.throttle.take", side_effect=lambda conn, n, bulk: n) as take:
        tasks.dispatch_batch(sent.batch.pk)
    assert take.call_args.args[0].rate == 3  # the connector's own rate
    assert [m.index for m in FakeConnector.handed] == [1, 2]
    assert FakeConnector.handed[1].content["kind"] == "ping"
    assert set(Message.objects.filter(batch=sent.batch, state=State.SUBMITTED).values_list("progress", flat=True)) == {
        Progress.SENT
    }

    assert receipts.apply_receipts(channel="toy", supplier="toy-fake", receipts=[("fake-1", "handed", "D")]) == 1
    assert receipts.apply_receipts(channel="toy", supplier="toy-fake", receipts=[("fake-1", "seen", "R")]) == 1
    # Late, repeated or contradicting receipts change nothing.
    late = [("fake-1", "accepted", "A"), ("fake-1", "handed", "D"), ("fake-1", "bounced", "X")]
    assert receipts.apply_receipts(channel="toy", supplier="toy-fake", receipts=late) == 0
    first = Message.objects.get(batch=sent.batch, index=1)
    assert first.status == "seen" and first.progress == Progress.READ and first.state == State.FINAL
    # A failure before delivery is final, and nothing moves a failed message on.
    assert receipts.apply_receipts(channel="toy", supplier="toy-fake", receipts=[("fake-2", "bounced", "X")]) == 1
    assert receipts.apply_receipts(channel="toy", supplier="toy-fake", receipts=[("fake-2", "handed", "D")]) == 0
    second = Message.objects.get(batch=sent.batch, index=2)
    assert second.status == "bounced" and second.progress == Progress.FAILED

    statuses = list(Event.objects.filter(type="toy:message:status").values_list("payload__status", flat=True))
    assert sorted(statuses) == ["bounced", "handed", "seen"]


def test_a_product_of_another_channel_is_refused(account, toy):
    with pytest.raises(ValidationFailed) as refused:
        submit.quote(account=account, channel="sms", product_code="TOY", outgoing=_pings())
    assert refused.value.errors == {"service": ["The service TOY does not send sms messages."]}


def test_the_channel_validates_its_own_content(account, toy):
    with pytest.raises(ValidationFailed) as refused:
        submit.quote(account=account, channel="toy", product_code="TOY", outgoing=[Ping(to="447400000001",
                     sender="Toys", body="")])  # fmt: skip
    assert refused.value.errors == {"body": ["The body field is required."]}


def test_the_supplier_refusing_a_message_refunds_it_in_the_channels_words(account, toy):
    with mock.patch("messaging.pipeline.submit.enqueue"):
        sent = submit.submit(account=account, channel="toy", product_code="TOY", outgoing=_pings()[:1])
    balance = credits.balance(account)
    with mock.patch.object(FakeConnector, "submit", lambda self, messages: [None for _ in messages]):
        tasks.dispatch_batch(sent.batch.pk)
    message = Message.objects.get(batch=sent.batch)
    assert (message.status, message.status_code, message.progress) == ("REFUSED", "T9", Progress.FAILED)
    assert credits.balance(account) == balance + Decimal("1.5")
    refund = LedgerEntry.objects.get(account=account, kind=LedgerKind.REFUND)
    assert "of Toy" in refund.reason


@pytest.mark.parametrize("odd", ["a\x1fb", 'x,{"y}\\'], ids=["separator", "quotes-and-braces"])
def test_receipts_move_messages_whatever_their_supplier_ids_hold(account, toy, odd):
    """The ids travel packed into one text unless one holds the separator: both ways move the
    right messages, each at its own receipt time."""
    with mock.patch("messaging.pipeline.submit.enqueue"):
        sent = submit.submit(account=account, channel="toy", product_code="TOY", outgoing=_pings())
    with mock.patch("messaging.pipeline.dispatch.throttle.take", side_effect=lambda conn, n, bulk: n):
        tasks.dispatch_batch(sent.batch.pk)
    Message.objects.filter(batch=sent.batch, index=1).update(supplier_message_id=odd)
    Message.objects.filter(batch=sent.batch, index=2).update(supplier_message_id="plain-2")
    first, second = timezone.now() - timedelta(minutes=5), timezone.now() - timedelta(minutes=2)
    moved = receipts.apply_receipts(
        channel="toy", supplier="toy-fake", receipts=[(odd, "handed", "D", first), ("plain-2", "handed", "D", second)]
    )
    assert moved == 2
    by_index = {m.index: m for m in Message.objects.filter(batch=sent.batch, index__in=[1, 2])}
    assert by_index[1].status == by_index[2].status == "handed"
    assert (by_index[1].updated_at, by_index[2].updated_at) == (first, second)
