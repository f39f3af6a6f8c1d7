"""OpenAPI descriptions of the WhatsApp bodies and answers (documentation only: services validate).
Shapes follow the catalog (whatsapp.md); the channel-style send shares the pipeline's envelope
(`messaging/pipeline/api_schema.py`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, inline_serializer
from rest_framework import serializers

from portal.api.schema import PAGE_PARAMETERS, TextOrList, many

TIME = "ISO-8601 in UTC with microseconds"

TEMPLATE = inline_serializer(
    name="WhatsappTemplate",
    fields={
        "id": serializers.UUIDField(),
        "name": serializers.CharField(),
        "alias": serializers.CharField(),
        "number": serializers.CharField(help_text="The business number."),
        "type": serializers.CharField(help_text="`text`, `JSON`, `media` or `template`"),
        "category": serializers.CharField(),
        "language": serializers.CharField(),
        "body": serializers.CharField(allow_blank=True),
        "payload": serializers.CharField(help_text="The content, JSON-encoded."),
        "status": serializers.CharField(help_text="`Pending`, `Approved` or `Rejected`"),
        "reason": serializers.CharField(required=False, help_text="Why Meta rejected it."),
        "created_at": serializers.CharField(help_text=TIME),
        "updated_at": serializers.CharField(help_text=TIME),
    },
)
TEMPLATE_QUERY = [
    OpenApiParameter("filter[id]", OpenApiTypes.STR),
    OpenApiParameter("filter[name]", OpenApiTypes.STR),
    OpenApiParameter("filter[type]", OpenApiTypes.STR, enum=["text", "JSON", "media", "template"]),
    OpenApiParameter(
        "filter[status]", OpenApiTypes.STR, enum=["1", "2", "3"], description="1 approved, 2 pending, 3 rejected"
    ),
    *PAGE_PARAMETERS,
]
TEMPLATE_BODY = inline_serializer(
    name="WhatsappTemplateRequest",
    fields={
        "type": serializers.CharField(help_text="`text`, `json`, `media` (service) or `template` (Meta)"),
        "name": serializers.CharField(help_text="Letters, digits and underscores."),
        "category": serializers.CharField(help_text="`marketing`, `utility` or `authentication`"),
        "language": serializers.CharField(help_text="`en`, `en_US`, ..."),
        "is_conversation": serializers.BooleanField(help_text="`true`: a service template, no Meta approval."),
        "number": serializers.CharField(help_text="One of the account's business numbers."),
        "payload": serializers.DictField(help_text="The content by kind (whatsapp.md, Create Template)."),
    },
)
TEMPLATE_CREATED = inline_serializer(
    name="WhatsappTemplateCreated",
    fields={
        "id": serializers.UUIDField(),
        "name": serializers.CharField(),
        "category": serializers.CharField(),
        "language": serializers.CharField(),
        "status": serializers.CharField(),
        "is_conversation": serializers.CharField(help_text='`"true"` or `"false"` (as text)'),
        "created_at": serializers.CharField(help_text=TIME),
    },
)

_RECIPIENT = inline_serializer(
    name="WhatsappRecipient",
    fields={
        "to": TextOrList(required=False, help_text="Numbers with country code."),
        "group_id": TextOrList(
            required=False, help_text="Segment ids (one or more): their WhatsApp-subscribed contacts."
        ),
    },
)
SEND_TEMPLATE_BODY = inline_serializer(
    name="WhatsappTemplateSendRequest",
    fields={
        "alias": serializers.CharField(required=False, help_text="A service template's alias (or give `id`)."),
        "id": serializers.UUIDField(required=False, help_text="A service template's id (or give `alias`)."),
        "data": serializers.DictField(required=False, help_text="Values of the template's `{{variables}}`."),
        "recipient": _RECIPIENT,
        "meta": inline_serializer(
            name="WhatsappSendMeta",
            fields={
                "webhook_id": serializers.CharField(required=False),
                "foreign_id": serializers.CharField(required=False, help_text="Your reference (idempotency key)."),
                "tags": TextOrList(required=False),
            },
            required=False,
        ),
    },
)

_ERROR = {
    "error": inline_serializer(
        name="WhatsappError",
        fields={"code": serializers.CharField(), "reason": serializers.CharField()},
        required=False,
        help_text="The provider's refusal, explained.",
    )
}


def _item(name, recipient_key):
    return inline_serializer(
        name=name,
        fields={
            "id": serializers.CharField(),
            "channel": serializers.CharField(help_text="`whatsapp`"),
            "from": serializers.CharField(),
            recipient_key: serializers.CharField(),
            "credits": serializers.FloatField(),
            "created_at": serializers.CharField(),
            "status": serializers.CharField(help_text="`queued`, or a refusal such as `notallowed`"),
            "foreign_id": serializers.CharField(allow_null=True),
            **_ERROR,
        },
    )


def _queued(name, item):
    return inline_serializer(
        name=name,
        fields={
            "status": serializers.CharField(help_text='"OK"'),
            "message": serializers.CharField(help_text="`Messages queued successfully`"),
            "data": many(item),
        },
    )


TEMPLATE_QUEUED = _queued("WhatsappTemplateQueued", _item("WhatsappTemplateQueuedItem", "recipient"))
MESSAGE_QUEUED = _queued("WhatsappMessageQueued", _item("WhatsappMessageQueuedItem", "to"))

STATUS_ITEM = inline_serializer(
    name="WhatsappStatus",
    fields={
        "id": serializers.CharField(),
        "channel": serializers.CharField(),
        "from": serializers.CharField(),
        "to": serializers.CharField(),
        "credits": serializers.CharField(help_text="4 decimals"),
        "created_at": serializers.CharField(allow_null=True, help_text=TIME),
        "foreign_id": serializers.CharField(allow_null=True),
        "status": serializers.CharField(),
        "delivered_at": serializers.CharField(allow_null=True, help_text="`Y-m-d H:i:s`"),
        "read_at": serializers.CharField(allow_null=True, help_text=TIME),
        **_ERROR,
    },
)
STATUS_QUERY = [
    OpenApiParameter("id", OpenApiTypes.STR, description="A message id (`<group id>:<index>`)."),
    OpenApiParameter("mobile", OpenApiTypes.STR, description="Number with country code: its messages, 100 a page."),
    *PAGE_PARAMETERS,
]

PRICE = inline_serializer(
    name="WhatsappPrice",
    fields={
        "iso": serializers.CharField(),
        "country_name": serializers.CharField(),
        "calling_code": serializers.IntegerField(allow_null=True),
        "sale_price": serializers.CharField(),
        "service": serializers.CharField(),
        "sub_service": serializers.CharField(allow_null=True, help_text="`WMC`, `WUC`, `WAA`, `WSC`, ..."),
        "service_name": serializers.CharField(help_text="`Whatsapp`"),
        "currency": serializers.CharField(),
        "status": serializers.IntegerField(),
        "created_at": serializers.CharField(allow_null=True),
        "updated_at": serializers.CharField(allow_null=True),
    },
)
PRICING_QUERY = [
    OpenApiParameter("filter[iso]", OpenApiTypes.STR),
    OpenApiParameter("filter[service]", OpenApiTypes.STR),
    OpenApiParameter("filter[subservice]", OpenApiTypes.STR),
    OpenApiParameter("filter[status]", OpenApiTypes.STR, enum=["0", "1"]),
    *PAGE_PARAMETERS,
]

OPTOUT_BODY = inline_serializer(
    name="WhatsappOptOutRequest", fields={"number": serializers.CharField(help_text="Number with country code.")}
)
OPTOUT = inline_serializer(
    name="WhatsappOptOut",
    fields={
        "receiver": serializers.CharField(),
        "iso": serializers.CharField(allow_blank=True),
        "created_at": serializers.CharField(help_text=TIME),
        "id": serializers.IntegerField(),
    },
)

# Request examples (schemathesis' examples phase sends them: tests/api/test_schemathesis.py builds
# the business number and its service template `welcome`).
TEMPLATE_SEND_EXAMPLE = OpenApiExample(
    "Send a service template",
    value={"alias": "welcome", "data": {"name": "Asha"}, "recipient": {"to": ["919876543210"]}},
    request_only=True,
)
MESSAGE_SEND_EXAMPLE = OpenApiExample(
    "Send a text",
    value={
        "channels": [{"name": "whatsapp", "from": "919019120000"}],
        "recipient": {"to": ["919876543210"]},
        "message": {"type": "text", "payload": {"text": "Your order has shipped."}},
    },
    request_only=True,
)
TEMPLATE_EXAMPLE = OpenApiExample(
    "A service template",
    value={
        "type": "text",
        "name": "order_update",
        "category": "utility",
        "language": "en",
        "is_conversation": True,
        "number": "919019120000",
        "payload": {"type": "text", "payload": {"text": "Hi {{name}}, your order ships {{day}}."}},
    },
    request_only=True,
)

MEDIA = inline_serializer(
    name="WhatsappMedia",
    fields={
        "id": serializers.UUIDField(help_text="Name it in a send: `message.payload.id` instead of `url`."),
        "type": serializers.ChoiceField(choices=["image", "audio", "video", "document"]),
        "filename": serializers.CharField(),
        "mime_type": serializers.CharField(),
        "size": serializers.IntegerField(help_text="Bytes."),
        "created_at": serializers.DateTimeField(),
    },
)
MEDIA_UPLOAD = inline_serializer(
    name="WhatsappMediaUpload",
    fields={
        "type": serializers.ChoiceField(choices=["image", "audio", "video", "document"]),
        "file": serializers.FileField(
            help_text="image: jpg/png up to 5 MB; audio (aac, mp4, m4a, amr, mp3, mpeg, opus) and video "
            "(mp4, 3gp) up to 16 MB; document up to 100 MB, not a media file."
        ),
    },
)
