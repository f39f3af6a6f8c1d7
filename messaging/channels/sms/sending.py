"""Sending SMS: the channel's request shape (`Outgoing`) and its entry points into the pipeline."""

from dataclasses import dataclass

from messaging.pipeline import receipts as pipeline_receipts
from messaging.pipeline import submit as pipeline

CHANNEL = "sms"


@dataclass(slots=True)
class Outgoing:
    """One recipient's message as the request described it (slots: a bulk request holds 100,000)."""

    to: str
    sender: str
    message: str
    type: str = "A"
    flash: bool = False
    custom: str = ""
    port: str = ""
    template_id: str = ""
    entity_id: str = ""
    max_units: int | None = None
    webhook_id: str = ""
    dlr_url: str = ""
    dlr_mask: int = 1


def submit(*, account, product_code, outgoing, **options):
    """Accept SMS through the pipeline (`messaging.pipeline.submit.submit`); `product_code` is
    the product (`T`, `P`, `G`, …)."""
    return pipeline.submit(account=account, channel=CHANNEL, product_code=product_code, outgoing=outgoing, **options)


def quote(*, account, product_code, outgoing, **options):
    """What `submit` would accept and charge, without writing anything."""
    return pipeline.quote(account=account, channel=CHANNEL, product_code=product_code, outgoing=outgoing, **options)


def apply_dlr(*, supplier, supplier_message_id, status, code, delivered_at=None):
    """Record a final status once. A repeated or late receipt for a message already final changes
    nothing (returns 0)."""
    return apply_dlrs(supplier=supplier, receipts=[(supplier_message_id, status, code)], delivered_at=delivered_at)


def apply_dlrs(*, supplier, receipts: list, delivered_at=None):
    """SMS delivery reports (supplier id, status, code), forward-only and idempotent; returns
    how many messages moved."""
    return pipeline_receipts.apply_receipts(channel=CHANNEL, supplier=supplier, receipts=receipts, at=delivered_at)
