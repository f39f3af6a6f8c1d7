"""OpenAPI descriptions of the webhook and subscription bodies and objects (documentation only:
services validate). Shapes follow the catalog (webhooks.md)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

TIME = {"help_text": "ISO-8601 in UTC with microseconds"}
_STATUS = serializers.CharField(required=False, help_text="`1` active (default), `0` inactive")
_OPTIONAL = {
    "secret": serializers.RegexField(
        r"^[\x21-\x7e]*$",
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="Sent back as `Authorization: Bearer <secret>`: visible ASCII characters, no spaces.",
    ),
    "status": _STATUS,
}
WEBHOOK_BODY = inline_serializer(
    name="WebhookRequest",
    fields={
        "name": serializers.CharField(),
        "uri": serializers.URLField(help_text="A public http(s) URL; private and reserved addresses are refused."),
        **_OPTIONAL,
        "token": serializers.CharField(
            required=False, allow_blank=True, max_length=255, help_text="Validation key of the verification challenge."
        ),
    },
)
WEBHOOK_EDIT = inline_serializer(
    name="WebhookEditRequest",
    fields={"name": serializers.CharField(), "uri": serializers.URLField(), **_OPTIONAL},
)
WEBHOOK = inline_serializer(
    name="Webhook",
    fields={
        "id": serializers.UUIDField(),
        "name": serializers.CharField(),
        "uri": serializers.CharField(),
        "secret": serializers.CharField(allow_null=True, help_text="`*****` when set"),
        "verification_code": serializers.CharField(allow_null=True, help_text="`*****` when set"),
        "status": serializers.IntegerField(help_text="1 active, 0 inactive"),
        "created_at": serializers.CharField(**TIME),
        "updated_at": serializers.CharField(**TIME),
    },
)
WEBHOOK_TEST_BODY = inline_serializer(
    name="WebhookTestRequest",
    fields={"event": serializers.CharField(required=False, help_text="Event name; default `sms:message:status`.")},
)
WEBHOOK_TESTED = inline_serializer(
    name="WebhookTestEvent",
    fields={"event": serializers.CharField(), "id": serializers.UUIDField(help_text="The event's id")},
)

SUBSCRIPTION_BODY = inline_serializer(
    name="WebhookSubscriptionRequest",
    fields={
        "event": serializers.CharField(help_text="An event name (`sms:message:status`, ...)."),
        "identity": serializers.CharField(help_text="`all`, or `<kind>:<id>` (`sender:`, `number:`, `keyword:`)."),
        "webhook_id": serializers.UUIDField(help_text="One of the account's webhooks."),
    },
)
SUBSCRIPTION = inline_serializer(
    name="WebhookSubscription",
    fields={
        "id": serializers.IntegerField(),
        "event": serializers.CharField(),
        "identity": serializers.CharField(),
        "payload": serializers.JSONField(allow_null=True),
        "webhook_id": serializers.UUIDField(),
        "created_at": serializers.CharField(**TIME),
    },
)
