"""OpenAPI descriptions of the suppression bodies and objects (documentation only: services
validate). Shapes follow the catalog (sms.md, Unsubscribers and Blocked templates)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from messaging.suppressions.models import ScopeType

TIME = {"help_text": "ISO-8601 in UTC with microseconds"}
SCOPES = ", ".join(f"`{t}`" for t in ScopeType.values)

_SCOPE = {
    "type": serializers.CharField(
        required=False, allow_blank=True, help_text=f"{SCOPES} (`service` is read as `product`); default `all`."
    ),
    "value": serializers.CharField(
        required=False, allow_blank=True, help_text="The tag, service code or sender the opt-out covers."
    ),
}
UNSUBSCRIBER_BODY = inline_serializer(
    name="UnsubscriberRequest",
    fields={"receiver": serializers.CharField(help_text="Number with country code."), **_SCOPE},
)
UNSUBSCRIBER_EDIT = inline_serializer(
    name="UnsubscriberEditRequest",
    fields={"receiver": serializers.CharField(required=False, help_text="Number with country code."), **_SCOPE},
)
UNSUBSCRIBER = inline_serializer(
    name="Unsubscriber",
    fields={
        "id": serializers.UUIDField(),
        "iso": serializers.CharField(allow_blank=True),
        "receiver": serializers.CharField(),
        "type": serializers.CharField(),
        "value": serializers.CharField(allow_blank=True),
        "created_at": serializers.CharField(**TIME),
        "updated_at": serializers.CharField(**TIME),
    },
)

_STATUS = serializers.CharField(required=False, allow_blank=True, help_text="`1` active (default), `0` inactive")
BLOCKED_BODY = inline_serializer(
    name="BlockedTemplateRequest",
    fields={"template_id": serializers.CharField(help_text="DLT template id (digits)."), "status": _STATUS},
)
BLOCKED_EDIT = inline_serializer(
    name="BlockedTemplateEditRequest",
    fields={
        "template_id": serializers.CharField(required=False, help_text="DLT template id (digits)."),
        "status": _STATUS,
    },
)
BLOCKED = inline_serializer(
    name="BlockedTemplate",
    fields={
        "id": serializers.UUIDField(),
        "template_id": serializers.CharField(),
        "status": serializers.IntegerField(help_text="1 active, 0 inactive"),
        "created_at": serializers.CharField(**TIME),
        "updated_at": serializers.CharField(**TIME),
    },
)

UNSUBSCRIBER_IMPORT = inline_serializer(
    name="UnsubscriberImportRequest",
    fields={"file": serializers.FileField(help_text="txt, csv, xls or xlsx with one number per line or row.")},
)
BLOCKED_IMPORT = inline_serializer(
    name="BlockedTemplateImportRequest",
    fields={
        "file": serializers.FileField(required=False, help_text="txt, csv, xls or xlsx of DLT template ids."),
        "url": serializers.URLField(required=False, help_text="Instead of `file`: a public http(s) URL of the file."),
        "caption": serializers.CharField(required=False, allow_blank=True),
        "filename": serializers.CharField(required=False, allow_blank=True, help_text="Name recorded for a `url`."),
    },
)
BLOCKED_IMPORT_URL = inline_serializer(
    name="BlockedTemplateUrlImportRequest",
    fields={
        "url": serializers.URLField(help_text="A public http(s) URL of a txt, csv, xls or xlsx file of template ids."),
        "caption": serializers.CharField(required=False, allow_blank=True),
        "filename": serializers.CharField(required=False, allow_blank=True, help_text="Name recorded for the file."),
    },
)

IMPORT_JOB = inline_serializer(
    name="SuppressionImportJob",
    fields={
        "id": serializers.UUIDField(),
        "kind": serializers.CharField(help_text="`unsubscribers` or `blocked_templates`"),
        "status": serializers.CharField(help_text="`queued`, `running`, `done` or `failed`"),
        "file_name": serializers.CharField(allow_blank=True),
        "url": serializers.CharField(allow_null=True, help_text="The URL a URL import downloads, else null."),
        "format": serializers.CharField(help_text="`csv`, `xlsx` or `xls`"),
        "total": serializers.IntegerField(),
        "processed": serializers.IntegerField(),
        "added": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "invalid": serializers.IntegerField(),
        "rejected": serializers.ListField(
            child=serializers.DictField(), help_text="The first 100 rejected rows: {row, value, reason}."
        ),
        "error": serializers.CharField(allow_null=True, help_text="Why the import failed, when it did."),
        "created_at": serializers.CharField(**TIME),
        "started_at": serializers.CharField(allow_null=True, **TIME),
        "finished_at": serializers.CharField(allow_null=True, **TIME),
    },
)
