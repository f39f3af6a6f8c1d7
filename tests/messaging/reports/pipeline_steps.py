"""Driving the pipeline in report tests: sends at a given time, dispatches (optionally refusing
every third message), receipts."""

from datetime import UTC, datetime
from unittest import mock

from django.utils import timezone

from messaging.channels.sms import sending
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline import tasks
from messaging.pipeline.models import Message
from messaging.pricing.services import save_price
from messaging.reports import summary
from messaging.review import services as review
from messaging.senders import services as registry

START = datetime(2026, 11, 1, 4, 10, tzinfo=UTC)  # 00:10 in New York, the night clocks go back
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"]
OTP_TEXT = "Your OTP is 12. Do not share it."
FAILURES = [("034", "UNDELIV"), ("001", "INVALID-SUB"), ("021", "EXPIRED")]


def at(when):
    return mock.patch("django.utils.timezone.now", return_value=when)


def earlier_today(account, before):
    """`before` ago, but not before the account's local midnight: pages and exports default to
    today, so traffic made for them must be today's at whatever hour the tests run."""
    now = timezone.now()
    return max(now - before, summary.day_bounds(account, summary.today(account, now), summary.today(account, now))[0])


def send(account, when, count, *, uk, schedule=None):
    numbers = [f"4474001{i:05d}" if uk else f"9198765{i:05d}" for i in range(count)]
    outgoing = [
        Outgoing(
            to=n,
            sender="AcmeUK" if uk else "ACMEIN",
            message="Hello there" if uk else "Your OTP is 12. Do not share it.",
        )
        for n in numbers
    ]
    with at(when), mock.patch("messaging.pipeline.submit.enqueue"):
        return sending.submit(
            account=account, product_code="G" if uk else "T", outgoing=outgoing, schedule=schedule
        ).batch


def dispatch(batch, when, refuse):
    def submit(self, messages):
        return [None if (m.index % 3 == 0 and refuse) else f"s{batch.pk}-{m.index}" for m in messages]

    with (
        at(when),
        mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.submit", submit),
        mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts"),
    ):
        tasks.dispatch_batch(batch.pk)


def receipts(picks, when):
    submitted = list(
        Message.objects.exclude(supplier_message_id="").order_by("id").values_list("supplier_message_id", flat=True)
    )
    if not submitted:
        return
    receipts = []
    for index, outcome in picks:
        code, status = ("000", "DELIVRD") if outcome == 0 else FAILURES[outcome - 1]
        receipts.append((submitted[index % len(submitted)], status, code))
    with at(when):
        sending.apply_dlrs(supplier="simulator", receipts=receipts, delivered_at=when)


def senders_and_prices(account):
    """Prices for GB and India, approved senders ACMEIN (T) and AcmeUK (G), and a DLT template."""
    save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.25"})
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "2"})
    save_price(data={"service": "P", "iso": "IN", "country_name": "India", "sale_price": "0.1"})
    sender = registry.create_sender(
        account=account,
        data={
            "name": "ACMEIN",
            "service": "T",
            "country_code": "IN",
            "entity_id": "1101234567890",
            "entity_name": "Acme",
        },
    )
    review.approve(item=sender)
    uk = registry.create_sender(account=account, data={"name": "AcmeUK", "service": "G", "country_code": "GB"})
    review.approve(item=uk)
    template = registry.create_template(
        account=account,
        data={
            "sender": "ACMEIN",
            "name": "OTP",
            "type": "T",
            "template_id": "1107161521283358301",
            "body": "Your OTP is {#var#}. Do not share it.",
        },
    )
    review.approve(item=template)
    return {"sender": sender, "template": template}
