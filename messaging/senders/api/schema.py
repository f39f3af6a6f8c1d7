"""OpenAPI descriptions of the sender and template bodies and objects (documentation only:
services validate). Shapes follow the catalog's objects (sms.md, Senders and Templates)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from messaging.senders.models import TemplateType

TIME = {"help_text": "ISO-8601 in UTC with microseconds"}


def _text(help_text="", **kwargs):
    return serializers.CharField(help_text=help_text, required=False, allow_blank=True, **kwargs)


SERVICE = inline_serializer(
    name="ServiceRef",
    fields={
        "id": serializers.IntegerField(),
        "display_name": serializers.CharField(),
        "name": serializers.CharField(help_text="The service code (`T`, `P`, `G`, ...)."),
    },
)

_SENDER_FIELDS = {
    "entity_id": _text("DLT principal entity id (12 to 19 digits); required for Indian DLT services."),
    "entity_name": _text("Company owning the sender; required for Indian DLT services.", max_length=200),
    "document": serializers.FileField(
        required=False, help_text="multipart only: proof of ownership (pdf, png, jpg; at most 5 MB)."
    ),
}
SENDER_CREATE = inline_serializer(
    name="SenderCreateRequest",
    fields={
        "name": serializers.CharField(
            help_text="The sender ID (Indian transactional: 6 letters; promotional: 6 digits)."
        ),
        "country_code": serializers.CharField(help_text="ISO-3166 alpha-2 country the sender belongs to."),
        "service": serializers.CharField(help_text="An enabled service code."),
        **_SENDER_FIELDS,
    },
)
SENDER_EDIT = inline_serializer(
    name="SenderEditRequest",
    fields={
        "name": _text("May change only while the sender is not approved."),
        "country_code": _text("ISO-3166 alpha-2"),
        "service": _text("An enabled service code."),
        **_SENDER_FIELDS,
    },
)
SENDER = inline_serializer(
    name="Sender",
    fields={
        "id": serializers.UUIDField(),
        "name": serializers.CharField(),
        "service": SERVICE,
        "entity_name": serializers.CharField(allow_blank=True),
        "entity_id": serializers.CharField(allow_blank=True),
        "header_id": serializers.CharField(allow_null=True),
        "iso": serializers.CharField(),
        "message": serializers.CharField(allow_null=True, help_text="Review note"),
        "document": serializers.URLField(allow_null=True, help_text="Link to the uploaded proof (members only)."),
        "is_open": serializers.IntegerField(help_text="1/0"),
        "purpose": serializers.IntegerField(),
        "status": serializers.IntegerField(help_text="0 Pending, 1 Approved, 2 Rejected"),
        "created_at": serializers.CharField(**TIME),
        "updated_at": serializers.CharField(**TIME),
    },
)

TYPES = ", ".join(f"`{t}`" for t in TemplateType.values)
_TEMPLATE_FIELDS = {
    "template_id": _text("DLT template id (digits); required for Indian DLT senders."),
    "is_english": _text("`1`/`0`; defaults to whether the body is ASCII."),
}
TEMPLATE_CREATE = inline_serializer(
    name="TemplateCreateRequest",
    fields={
        "sender": serializers.CharField(help_text="An approved sender of the account (name or id)."),
        "name": serializers.CharField(max_length=100),
        "body": serializers.CharField(help_text="Template text with `{{variables}}` (or DLT's `{#var#}`)."),
        "type": serializers.CharField(help_text=TYPES),
        **_TEMPLATE_FIELDS,
    },
)
TEMPLATE_EDIT = inline_serializer(
    name="TemplateEditRequest",
    fields={
        "sender": _text("An approved sender of the account (name or id)."),
        "name": _text(max_length=100),
        "body": _text(),
        "type": _text(TYPES),
        **_TEMPLATE_FIELDS,
    },
)
TEMPLATE = inline_serializer(
    name="SmsTemplate",
    fields={
        "id": serializers.UUIDField(),
        "sender_id": serializers.UUIDField(),
        "template_id": serializers.CharField(allow_blank=True),
        "template_type": serializers.CharField(help_text="`Transactional`, `Promotional`, ..."),
        "sender": serializers.CharField(),
        "name": serializers.CharField(),
        "alias": serializers.CharField(help_text="Slug used by `sms/send/template`."),
        "body": serializers.CharField(),
        "content": serializers.CharField(allow_null=True),
        "body_length": serializers.IntegerField(),
        "match_count": serializers.IntegerField(),
        "percentage": serializers.IntegerField(),
        "is_complete": serializers.IntegerField(),
        "is_english": serializers.IntegerField(help_text="1/0"),
        "status": serializers.IntegerField(help_text="0 Pending, 1 Approved, 2 Rejected"),
        "message": serializers.CharField(allow_null=True, help_text="Review note"),
        "created_at": serializers.CharField(**TIME),
        "updated_at": serializers.CharField(**TIME),
    },
)
