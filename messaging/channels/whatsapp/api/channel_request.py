"""Reading WhatsApp send requests: the channel-style body of `whatsapp/message/send` and of
`sms/message/send` with a `whatsapp` channel (`channels[0]`, `recipient`, `message`)."""

import json

from messaging.channels.whatsapp import content, media
from messaging.channels.whatsapp.sending import PRODUCT, Outgoing
from messaging.pipeline import recipients
from messaging.pipeline.channels import ChannelRequest
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import digits_of
from portal.core.text import as_text


def recipient_numbers(account, recipient, errors, field="recipient"):
    """`recipient.to` (array or string) plus the WhatsApp-subscribed members of `recipient.group_id`."""
    if not isinstance(recipient, dict):
        errors[field] = [f"The {field} field is required and must be an object."]
        return []
    numbers = recipients.typed(recipient.get("to"))
    group = recipient.get("group_id")
    if group not in (None, "", []):
        try:
            everyone = recipients.resolve(account, numbers=numbers, segment_ids=group, channel="whatsapp")
        except ValidationFailed as exc:
            errors[f"{field}.group_id"] = next(iter(exc.errors.values()))
            return []
        if not everyone:
            errors[f"{field}.group_id"] = ["The selected segment has no WhatsApp-subscribed numbers."]
        return everyone
    if not numbers:
        errors[f"{field}.to"] = [f"The {field}.to field is required when {field}.group_id is not present."]
    return numbers


def tags_of(meta):
    tags = meta.get("tags") if isinstance(meta, dict) else None
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if tags in (None, ""):
        return ()
    if not isinstance(tags, list | tuple):
        raise ValidationFailed({"channels.0.meta.tags": ["The tags must be a list or a comma-separated string."]})
    return tuple(as_text(t, "tags") for t in tags)


def content_key(document):
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def outgoing_for(numbers, parsed, *, sender, foreign_id="", webhook_id="", data=None):
    """One Outgoing per number, all sharing one content document."""
    key = content_key(parsed.content)
    return [
        Outgoing(
            to=to,
            sender=sender,
            content=parsed.content,
            key=key,
            text=parsed.text,
            free_form=parsed.free_form,
            data=data,
            custom=foreign_id,
            webhook_id=webhook_id,
        )
        for to in numbers
    ]


def parse(account, body, entry, errors):
    sender = digits_of(str(entry.get("from") or ""))
    if not sender:
        errors["channels.0.from"] = ["The channels.0.from field is required."]
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    recipient = entry.get("recipient") or body.get("recipient")
    numbers = recipient_numbers(account, recipient, errors)
    parsed = content.parse(body.get("message"), errors)
    media.resolve(account, parsed, errors)
    foreign_id = as_text(meta.get("foreign_id") or "", "foreign_id")
    webhook_id = as_text(meta.get("webhook_id") or "", "webhook_id")
    tags = tags_of(meta)
    outgoing = (
        []
        if parsed is None
        else outgoing_for(numbers, parsed, sender=sender, foreign_id=foreign_id, webhook_id=webhook_id)
    )
    return ChannelRequest(product_code=PRODUCT, outgoing=outgoing, foreign_id=foreign_id, tags=tags, sender=sender)
