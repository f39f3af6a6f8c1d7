"""OpenAPI description of the channel-style send (`sms/message/send`): the envelope every channel
shares. What a channel reads from its entry's `meta` and from `message` is its adapter's (for
`sms`: docs/api.md, "Channel-style send")."""

from drf_spectacular.utils import OpenApiExample, inline_serializer
from rest_framework import serializers

from portal.api.schema import TextOrList, many

MESSAGE_TIME = "`Y-m-d H:i:s`"


def _recipient(name, **kwargs):
    return inline_serializer(
        name=name,
        fields={
            "to": TextOrList(required=False, help_text="Numbers with country code."),
            "group_id": TextOrList(required=False, help_text="Segment ids of the account (one or several)."),
        },
        required=False,
        **kwargs,
    )


def channel_send_body(name):
    """The channel-style request under its own component name: an endpoint that sends on one
    channel (`whatsapp/message/send`) names its own, so its documentation can differ."""
    return inline_serializer(
        name=name,
        fields={
            "channels": serializers.ListField(
                min_length=1,
                child=inline_serializer(
                    name=f"{name}Entry",
                    fields={
                        "name": serializers.CharField(help_text="A channel this deployment sends (`sms`, `whatsapp`)."),
                        "from": serializers.CharField(help_text="Sender ID."),
                        "meta": serializers.DictField(
                            required=False,
                            help_text="Channel options. `sms`: `service` (default: the first enabled SMS service), "
                            "`template_id`, `entity_id`, `foreign_id` (the idempotency key when no header is sent), "
                            "`type` (`A`/`N`/`U`), `tags` (array), `max_units` (2 or 3). `whatsapp`: `foreign_id`, "
                            "`webhook_id`, `tags`.",
                        ),
                        "recipient": _recipient(f"{name}EntryRecipient"),
                    },
                ),
                help_text="The first entry is used.",
            ),
            "recipient": _recipient(f"{name}Recipient", help_text="Used when the channel entry has no `recipient`."),
            "message": inline_serializer(
                name=f"{name}Message",
                fields={
                    "type": serializers.CharField(
                        help_text="`text` (every channel); WhatsApp also `image`, `document`, `audio`, `video`, "
                        "`interactive`, `contacts`, `location`, `template` (whatsapp.md)."
                    ),
                    "payload": serializers.DictField(help_text="By type; `text`: up to 4096 characters."),
                },
            ),
        },
    )


CHANNEL_SEND_BODY = channel_send_body("ChannelSendRequest")
CHANNEL_ITEM = inline_serializer(
    name="ChannelQueuedItem",
    fields={
        "id": serializers.CharField(),
        "channel": serializers.CharField(),
        "from": serializers.CharField(),
        "to": serializers.CharField(),
        "credits": serializers.FloatField(),
        "created_at": serializers.CharField(help_text=MESSAGE_TIME),
        "status": serializers.CharField(),
        "foreign_id": serializers.CharField(allow_blank=True, allow_null=True),
        "error": inline_serializer(
            name="ChannelItemError",
            fields={"code": serializers.CharField(), "reason": serializers.CharField()},
            required=False,
            help_text="When the channel refused the recipient with a provider code (WhatsApp).",
        ),
    },
)
CHANNEL_QUEUED = inline_serializer(
    name="ChannelQueued",
    fields={
        "status": serializers.CharField(help_text='"OK"'),
        "message": serializers.CharField(help_text="`Message(s) Queued successfully`"),
        "data": many(CHANNEL_ITEM),
    },
)

# Sent as it is by schemathesis' examples phase (tests/api/test_schemathesis.py).
CHANNEL_SEND_EXAMPLE = OpenApiExample(
    "Send a text",
    value={
        "channels": [{"name": "sms", "from": "AcmeUK", "meta": {"service": "G"}}],
        "recipient": {"to": ["447400123456"]},
        "message": {"type": "text", "payload": {"text": "Your code is 4821."}},
    },
    request_only=True,
)
