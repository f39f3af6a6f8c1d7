"""OpenAPI descriptions of the contact import body and record (documentation only)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from contacts.imports.models import ImportStatus

TIME = {"help_text": "ISO-8601 in UTC with microseconds", "allow_null": True}

IMPORT_BODY = inline_serializer(
    name="ContactImportRequest",
    fields={
        "file": serializers.FileField(help_text="txt, csv, xls or xlsx; at most 5 MB."),
        "replace_tags": serializers.CharField(
            required=False, help_text="`1`: an imported contact's tags replace its tags; `0` (default): added."
        ),
    },
)
IMPORT = inline_serializer(
    name="ContactImport",
    fields={
        "id": serializers.IntegerField(),
        "file_name": serializers.CharField(),
        "format": serializers.CharField(),
        "status": serializers.CharField(help_text=", ".join(f"`{s}`" for s in ImportStatus.values)),
        **{
            name: serializers.IntegerField()
            for name in ("total", "processed", "progress", "imported", "added", "updated", "skipped", "failed")
        },
        "replace_tags": serializers.IntegerField(help_text="1/0"),
        "columns": serializers.ListField(
            child=inline_serializer(
                name="ContactImportColumn",
                fields={
                    "header": serializers.CharField(),
                    "field": serializers.CharField(allow_blank=True, help_text="The contact field it maps to."),
                },
            )
        ),
        "error": serializers.CharField(allow_null=True),
        "created_at": serializers.CharField(**TIME),
        "updated_at": serializers.CharField(**TIME),
        "started_at": serializers.CharField(**TIME),
        "finished_at": serializers.CharField(**TIME),
    },
)
