"""OpenAPI descriptions of the SMS send bodies, their answers, the DLR pull and the status report
(documentation only: the views validate). Shapes follow the catalog (sms.md, Sending and
Delivery reports)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, inline_serializer
from rest_framework import serializers

from portal.api.schema import Flag, NumberOrText, TextOrList, many

MESSAGE_TIME = "`Y-m-d H:i:s`"


def _text(help_text, **kwargs):
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text, **kwargs)


# The fields a classic send takes per message: `sms/send` as its body (or query string), and
# `sms/send/json` as `root` defaults that each node may override.
_MESSAGE_FIELDS = {
    "type": _text("`A` auto-detect (default), `N` GSM text, `U` Unicode."),
    "flash": Flag(required=False, help_text="`1`: a flash SMS."),
    "custom": _text("Your reference, returned as `customid` and in DLRs as `custom`/`cid`.", max_length=200),
    "port": _text("Destination port.", max_length=10),
    "template_id": _text("DLT template id (Indian routes).", max_length=30),
    "entity_id": _text("DLT principal entity id (Indian routes).", max_length=30),
    "max_units": NumberOrText(required=False, help_text="`2` or `3`: the most parts sent and charged."),
}
_SEND_DEFAULTS = {
    "service": serializers.CharField(help_text="An enabled service code (`T`, `P`, `G`, ...)."),
    "time": _text(f"Schedule ({MESSAGE_TIME}), 5 minutes to 30 days ahead."),
    "webhook_id": _text("A webhook of the account that receives this send's DLRs.", max_length=64),
    "name": _text("Campaign name."),
}
_TAGS = {
    "meta": inline_serializer(
        name="SendMeta",
        fields={"tags": serializers.ListField(child=serializers.CharField(), required=False)},
        required=False,
    ),
    "tags": TextOrList(required=False, help_text="Opt-out tags (also accepted as `meta.tags`)."),
}
SEND_BODY = inline_serializer(
    name="SmsSendRequest",
    fields={
        "sender": serializers.CharField(help_text="An approved sender ID."),
        "to": TextOrList(help_text="Numbers with country code: a comma-separated string or an array."),
        "message": serializers.CharField(),
        **_SEND_DEFAULTS,
        **_MESSAGE_FIELDS,
        **_TAGS,
    },
)

# The legacy GET send: the same fields in the query string.
_REQUIRED_QUERY = ("sender", "to", "message", "service")
SEND_QUERY = [
    OpenApiParameter(name, OpenApiTypes.STR, required=name in _REQUIRED_QUERY, description=field.help_text or "")
    for name, field in {**SEND_BODY.fields}.items()
    if name != "meta"
]

SEND_ITEM = inline_serializer(
    name="SmsSendItem",
    fields={
        "id": serializers.CharField(help_text="`<group_id>:<n>`, n from 1"),
        "mobile": serializers.CharField(),
        "status": serializers.CharField(help_text="`AWAITING-DLR`, `SCHEDULED`, or the DLR status of a refusal"),
        "units": serializers.IntegerField(),
        "length": serializers.IntegerField(),
        "charges": serializers.FloatField(),
        "customid": serializers.CharField(allow_blank=True),
        "iso_code": serializers.CharField(allow_null=True),
        "submitted_at": serializers.CharField(help_text=MESSAGE_TIME),
    },
)
SEND_ACCEPTED = inline_serializer(
    name="SmsSendAccepted",
    fields={
        "status": serializers.IntegerField(help_text="200 (the classic send's integer status)"),
        "message": serializers.CharField(help_text="`<n> numbers accepted for delivery.`"),
        "group_id": serializers.UUIDField(),
        "data": many(SEND_ITEM),
    },
)
SEND_JSON_ACCEPTED = inline_serializer(
    name="SmsSendJsonAccepted",
    fields={
        **{name: field for name, field in SEND_ACCEPTED.fields.items() if name != "group_id"},
        "group_id": serializers.UUIDField(required=False, help_text="Only when `root.name` is sent."),
    },
)

SEND_JSON_BODY = inline_serializer(
    name="SmsSendJsonRequest",
    fields={
        "root": inline_serializer(
            name="SmsSendJsonRoot",
            fields={
                "sender": _text("Default sender ID."),
                "message": _text("Default text."),
                **_SEND_DEFAULTS,
                **_MESSAGE_FIELDS,
                "dlr_url": _text("Accepted and kept with each message.", max_length=200),
                **_TAGS,
            },
        ),
        "nodes": serializers.ListField(
            min_length=1,
            max_length=100_000,
            child=inline_serializer(
                name="SmsSendJsonNode",
                fields={
                    "to": TextOrList(help_text="One number (or several) with country code."),
                    "sender": _text("Overrides `root.sender`."),
                    "message": _text("Overrides `root.message`."),
                    **_MESSAGE_FIELDS,
                    "dlr_url": _text("", max_length=200),
                },
            ),
            help_text="One per message; a node may override any `root` value except `service`, `time` and "
            "`webhook_id`.",
        ),
    },
)

_RECIPIENT = inline_serializer(
    name="SmsRecipient",
    fields={
        "to": TextOrList(required=False, help_text="Numbers with country code."),
        "group_id": TextOrList(
            required=False, help_text="Segment ids of the account: a string, a comma list or an array."
        ),
    },
    help_text="`to`, `group_id` or both.",
)
TEMPLATE_SEND_BODY = inline_serializer(
    name="SmsTemplateSendRequest",
    fields={
        "alias": _text("The template's alias (or give `id`)."),
        "id": _text("The template's id or DLT template id (or give `alias`)."),
        "data": serializers.DictField(help_text="Values of the template's `{{variables}}`."),
        "recipient": _RECIPIENT,
        "meta": inline_serializer(
            name="SmsTemplateSendMeta",
            fields={
                "webhook_id": _text("A webhook of the account that receives the DLRs."),
                "foreign_id": _text("Your reference (the idempotency key when no header is sent)."),
                "tags": serializers.ListField(child=serializers.CharField(), required=False),
                "flash": Flag(required=False),
            },
            required=False,
        ),
    },
)

DLR = inline_serializer(
    name="SmsDlr",
    fields={
        "id": serializers.CharField(help_text="`<group_id>:<n>`"),
        "mobile": serializers.CharField(),
        "status": serializers.CharField(),
        "units": serializers.IntegerField(),
        "service": serializers.CharField(),
        "length": serializers.IntegerField(),
        "charges": serializers.FloatField(),
        "custom": serializers.CharField(allow_blank=True),
        "custom1": serializers.CharField(allow_blank=True),
        "location": serializers.CharField(allow_blank=True),
        "provider": serializers.CharField(allow_blank=True),
        "submitted_at": serializers.CharField(help_text=MESSAGE_TIME),
        "delivered_at": serializers.CharField(allow_blank=True, help_text=f"{MESSAGE_TIME}, empty until final"),
        "sender": serializers.CharField(),
    },
)
STATUS_QUERY = [
    OpenApiParameter("id", OpenApiTypes.STR, description="A message id from the send answer (`<group_id>:<n>`)."),
    OpenApiParameter("mobile", OpenApiTypes.STR, description="Number with country code (the last 100 messages)."),
    OpenApiParameter("cid", OpenApiTypes.STR, description="Your `custom` value (the last 100 messages)."),
    OpenApiParameter("date", OpenApiTypes.DATE, description="A day (`yyyy-mm-dd`): paginated, 100 per page."),
    OpenApiParameter("group_id", OpenApiTypes.STR, description="A send's `group_id`: paginated, 100 per page."),
]

REPORT_DAY = inline_serializer(
    name="SmsReportDay",
    fields={
        "date": serializers.DateField(),
        "status": serializers.DictField(child=serializers.IntegerField(), help_text="DLR status → messages"),
    },
)
REPORT = inline_serializer(
    name="SmsStatusReport",
    fields={
        "status": serializers.IntegerField(help_text="200"),
        "message": serializers.CharField(),
        "data": serializers.DictField(child=REPORT_DAY, help_text="Keyed by day (`yyyy-mm-dd`)."),
    },
)
REPORT_QUERY = [
    OpenApiParameter(
        "daterange",
        OpenApiTypes.STR,
        required=True,
        description="`yyyy-mm-dd|yyyy-mm-dd`, at most 3 months (92 days).",
    )
]

USAGE_ROW = inline_serializer(
    name="SmsUsageRow",
    fields={
        "service": serializers.CharField(),
        "opening": serializers.CharField(help_text="Balance at the start of the day, 4 decimals"),
        "available": serializers.CharField(help_text="Balance at its end, 4 decimals"),
        "sent_units": serializers.IntegerField(),
        "sent_credits": serializers.CharField(help_text="4 decimals, refunds deducted"),
        "deliv_units": serializers.IntegerField(),
        "on_date": serializers.DateField(),
        "serial": serializers.IntegerField(),
    },
)
USAGE = inline_serializer(
    name="SmsUsage",
    fields={
        "rows": inline_serializer(
            name="SmsUsagePage",
            fields={
                "current_page": serializers.IntegerField(),
                "data": many(USAGE_ROW),
                "first_page_url": serializers.URLField(),
                "from": serializers.IntegerField(allow_null=True),
                "last_page": serializers.IntegerField(),
                "last_page_url": serializers.URLField(),
                "links": serializers.ListField(child=serializers.DictField()),
                "next_page_url": serializers.URLField(allow_null=True),
                "path": serializers.URLField(),
                "per_page": serializers.IntegerField(),
                "prev_page_url": serializers.URLField(allow_null=True),
                "to": serializers.IntegerField(allow_null=True),
                "total": serializers.IntegerField(),
            },
        )
    },
)


def request_example(name, value):
    return OpenApiExample(name, value=value, request_only=True)


# Request examples (schemathesis' examples phase sends them as they are: tests/api/test_schemathesis.py
# builds an account they work for).
SEND_EXAMPLE = request_example(
    "Send",
    {"sender": "AcmeUK", "to": "447400123456,447400123457", "message": "Your code is 4821.", "service": "G"},
)
SEND_JSON_EXAMPLE = request_example(
    "Send per node",
    {
        "root": {"sender": "AcmeUK", "service": "G", "message": "Your order has shipped.", "name": "Shipping"},
        "nodes": [
            {"to": "447400123456", "custom": "order-1"},
            {"to": "447400123457", "message": "Your order is late."},
        ],
    },
)
TEMPLATE_SEND_EXAMPLE = request_example(
    "Send a template",
    {"alias": "welcome", "data": {"var1": "Ann"}, "recipient": {"to": ["447400123456"]}, "meta": {"foreign_id": "w-1"}},
)
