"""SMS's reading of the channel-style request (`sms/message/send`, "Message Sending Options")."""

from messaging.channels.sms.api.views import _int_or_none, _recipient_numbers, _tags
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline.channels import ChannelRequest
from messaging.services.products import enabled_products

MAX_TEXT = 4096


def parse(account, body, entry, errors):
    sender = str(entry.get("from") or "").strip()
    if not sender:
        errors["channels.0.from"] = ["The channels.0.from field is required."]
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    recipient = entry.get("recipient") or body.get("recipient")
    numbers = _recipient_numbers(recipient, errors, account=account)
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
    text = str(payload.get("text") or "")
    if message.get("type") != "text":
        errors["message.type"] = ["The selected message.type is invalid (text)."]
    if not text:
        errors["message.payload.text"] = ["The message.payload.text field is required."]
    elif len(text) > MAX_TEXT:
        errors["message.payload.text"] = [f"The message.payload.text may not be greater than {MAX_TEXT} characters."]
    product = str(meta.get("service") or "").strip()
    if not product:  # catalog: the first enabled SMS service
        first = enabled_products(account).filter(channel="sms").order_by("sort_order").first()
        product = first.code if first else ""
    max_units = _int_or_none(meta.get("max_units"), "channels.0.meta.max_units", errors)
    foreign_id = str(meta.get("foreign_id") or "")
    outgoing = [
        Outgoing(
            to=to,
            sender=sender,
            message=text,
            type=str(meta.get("type") or "A").upper(),
            custom=foreign_id,
            template_id=str(meta.get("template_id") or ""),
            entity_id=str(meta.get("entity_id") or ""),
            max_units=max_units,
        )
        for to in numbers
    ]
    return ChannelRequest(
        product_code=product,
        outgoing=outgoing,
        foreign_id=foreign_id,
        tags=_tags({"tags": meta.get("tags")}),
        sender=sender,
    )


def item(item, parsed):
    return {
        "id": item["id"],
        "channel": "sms",
        "from": parsed.sender,
        "to": item["mobile"],
        "credits": item["charges"],
        "created_at": item["submitted_at"],
        "status": item["status"],
        "foreign_id": parsed.foreign_id,
    }
