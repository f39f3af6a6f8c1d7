"""Sending WhatsApp: the channel's request shape (`Outgoing`) and its entry points into the pipeline."""

from dataclasses import dataclass

from messaging.pipeline import submit as pipeline

CHANNEL = "whatsapp"
PRODUCT = "WAP"


@dataclass(slots=True)
class Outgoing:
    """One recipient's message. `content` is shared by every recipient of a request (one dict),
    `key` identifies it (the pipeline prepares and checks each distinct content once)."""

    to: str
    sender: str  # the business number (digits)
    content: dict  # messaging.channels.whatsapp.content: the stored document
    key: str
    text: str = ""
    free_form: bool = True
    data: dict | None = None  # a service template's variable values
    custom: str = ""  # the customer's foreign_id
    webhook_id: str = ""
    # A code of `errors.MERGE_REFUSALS` when this recipient's merge fields broke a content rule:
    # the scrub refuses the message with it (answered and stored, not charged).
    refusal: str = ""


def submit(*, account, outgoing, **options):
    return pipeline.submit(account=account, channel=CHANNEL, product_code=PRODUCT, outgoing=outgoing, **options)


def quote(*, account, outgoing, **options):
    return pipeline.quote(account=account, channel=CHANNEL, product_code=PRODUCT, outgoing=outgoing, **options)
