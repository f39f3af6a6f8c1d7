"""OpenAPI descriptions of the contacts bodies and objects (documentation only: services validate)."""

import copy

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from contacts.models import IdentifierType, SubscriptionChannel

TEXT = {"required": False, "allow_null": True}


def _text(help_text=""):
    return serializers.CharField(help_text=help_text, **TEXT)


CONTACT_FIELDS = {
    "first_name": _text(),
    "middle_name": _text(),
    "last_name": _text(),
    "gender": serializers.CharField(required=False, allow_null=True, help_text="`male` or `female`"),
    "birth_date": serializers.DateField(required=False, allow_null=True, help_text="yyyy-mm-dd"),
    "company": _text(),
    "country": _text(),
    "region": _text(),
    "city": _text(),
    "locality": _text(),
    "postal_code": _text(),
    "email": serializers.EmailField(required=False, allow_null=True, help_text="Becomes the e-mail identifier."),
    "attributes": serializers.DictField(
        required=False, help_text="Free key/values; on edit merged key by key, a null value removes the key."
    ),
    "tags": serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Tag names; new names become tags."
    ),
}

CONTACT_CREATE = inline_serializer(
    name="ContactCreateRequest",
    fields={
        "identity": serializers.CharField(help_text="Unique per account, no spaces."),
        "phone": serializers.CharField(help_text="With country code (`+6590296448`); stored as E.164 digits."),
        **CONTACT_FIELDS,
    },
)
CONTACT_EDIT = inline_serializer(
    name="ContactEditRequest",
    fields={
        "identity": serializers.CharField(required=False),
        "phone": serializers.CharField(required=False, help_text="May not be emptied."),
        **CONTACT_FIELDS,
    },
)
CONTACT = inline_serializer(
    name="Contact",
    fields={
        "id": serializers.IntegerField(),
        "identity": serializers.CharField(),
        **{name: field for name, field in CONTACT_FIELDS.items() if name not in ("email", "tags")},
        "email": serializers.CharField(allow_null=True),
        "phone": serializers.CharField(allow_null=True, help_text="E.164 digits without +"),
        "tags": serializers.ListField(child=serializers.CharField()),
        "created_at": serializers.CharField(),
        "updated_at": serializers.CharField(),
    },
)
MERGE = inline_serializer(
    name="ContactMergeRequest",
    fields={
        "origin": serializers.CharField(help_text="Id of the contact merged away (deleted)."),
        "destination": serializers.CharField(help_text="Id of the contact that remains."),
    },
)

IDENTIFIER_BODY = inline_serializer(
    name="IdentifierRequest",
    fields={
        "type": serializers.CharField(
            help_text=", ".join(f"`{t}`" for t in IdentifierType.values) + " (`mobile` = `phone`)"
        ),
        "value": serializers.CharField(),
    },
)
IDENTIFIER = inline_serializer(
    name="Identifier",
    fields={
        "id": serializers.IntegerField(),
        "contact_id": serializers.IntegerField(),
        "type": serializers.CharField(),
        "value": serializers.CharField(),
        "created_at": serializers.CharField(),
        "updated_at": serializers.CharField(),
    },
)

TAG_BODY = inline_serializer(name="TagRequest", fields={"name": serializers.CharField(max_length=100)})
TAG = inline_serializer(
    name="ContactTag",
    fields={
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "contacts_count": serializers.IntegerField(required=False),
        "created_at": serializers.CharField(),
        "updated_at": serializers.CharField(),
    },
)

_SEGMENT_FIELDS = {
    "type": serializers.CharField(required=False, help_text="`dynamic` (default) or `static`"),
    "positive_tags": serializers.ListField(child=serializers.CharField(), required=False),
    "positive_tags_operator": serializers.CharField(required=False, help_text="`any` (default) or `all`"),
    "negative_tags": serializers.ListField(child=serializers.CharField(), required=False),
    "negative_tags_operator": serializers.CharField(required=False, help_text="`any` (default) or `all`"),
    "rules": serializers.DictField(
        required=False, help_text='Rule tree {"match": "all"|"any", "conditions": [...]} (docs/contacts.md).'
    ),
    "members": serializers.ListField(child=serializers.IntegerField(), required=False, help_text="Static only."),
}
SEGMENT_BODY = inline_serializer(name="SegmentRequest", fields={"name": serializers.CharField(), **_SEGMENT_FIELDS})
SEGMENT = inline_serializer(
    name="Segment",
    fields={
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        **{k: v for k, v in _SEGMENT_FIELDS.items() if k != "members"},
        "subscribers_count": serializers.IntegerField(),
        "counted_at": serializers.CharField(allow_null=True),
        "created_at": serializers.CharField(),
        "updated_at": serializers.CharField(),
    },
)

_SUBSCRIPTION_ITEM = {
    "channel": serializers.CharField(help_text=", ".join(f"`{c}`" for c in SubscriptionChannel.values)),
    "channel_id": serializers.CharField(required=False, help_text="Defaults to the channel."),
    "identifier_id": serializers.IntegerField(help_text="One of the contact's identifiers."),
}
SUBSCRIPTIONS_BODY = inline_serializer(
    name="SubscriptionsRequest",
    fields={
        "subscriptions": serializers.ListField(
            child=inline_serializer(name="SubscriptionItem", fields=dict(_SUBSCRIPTION_ITEM))
        )
    },
)
SUBSCRIPTION_BODY = inline_serializer(name="SubscriptionEditRequest", fields=dict(_SUBSCRIPTION_ITEM))
SUBSCRIPTION = inline_serializer(
    name="ContactSubscription",
    fields={
        "id": serializers.IntegerField(),
        "contact_id": serializers.IntegerField(),
        **{k: serializers.CharField() for k in ("channel", "channel_id")},
        "identifier_id": serializers.IntegerField(),
        "identifier": serializers.DictField(child=serializers.CharField()),
        "status": serializers.CharField(help_text="`subscribed` or `unsubscribed`"),
        "subscribed": serializers.BooleanField(),
        "unsubscribed_at": serializers.CharField(allow_null=True),
        "created_at": serializers.CharField(),
        "updated_at": serializers.CharField(),
    },
)


def many(component):
    return serializers.ListField(child=copy.deepcopy(component))


# The segment list keeps the vendor's own shape: integer `status`, no `code`, and Laravel's
# `paginate()` object under `data` (docs/api.md, "segment list envelope").
SEGMENT_LIST = inline_serializer(
    name="ContactSegments",
    fields={
        "status": serializers.IntegerField(help_text="200"),
        "message": serializers.CharField(),
        "data": inline_serializer(
            name="SegmentPage",
            fields={
                "current_page": serializers.IntegerField(),
                "data": many(SEGMENT),
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
        ),
    },
)
