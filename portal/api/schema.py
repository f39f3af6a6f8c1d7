"""OpenAPI descriptions shared by v2 endpoints: the bearer scheme, the envelope, errors, headers,
and the answers every operation can give whatever it declares (`V2AutoSchema`)."""

import copy
import re

import django_filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers


class BearerAuthScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "bearerAuth"  # the scheme name the published reference uses

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "API key (or a bearer token from /api/v3/auth/token/generate). "
            "Also accepted as the `access_token` query parameter.",
        }


# Set once the throttle has run, i.e. on every answer past authentication (bodies are parsed later).
_THROTTLED_CODES = [200, 201, 202, 400, 404, 409, 413, 422, 429]
RATE_LIMIT_HEADERS = [
    OpenApiParameter(
        "X-RateLimit-Limit",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=_THROTTLED_CODES,
        description="Requests allowed per minute for this key.",
    ),
    OpenApiParameter(
        "X-RateLimit-Remaining",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=_THROTTLED_CODES,
        description="Requests left in the current minute.",
    ),
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[429],
        description="Seconds until the next minute's budget starts.",
    ),
]


class V2AutoSchema(AutoSchema):
    """Every v2 operation carries the rate-limit headers, is tagged by its first path part after
    the version (`auth`, `finance`, `sms`, ...), and declares the errors any operation of its kind
    answers even when its view lists only its own (`implied_errors`)."""

    def get_override_parameters(self):
        return [*super().get_override_parameters(), *RATE_LIMIT_HEADERS]

    def get_description(self):
        """Only what an operation's `extend_schema(description=...)` says: a view's docstring is
        written for the code's readers, not the API's (tests/api/test_code_samples.py holds every
        operation to a description of its own)."""
        return ""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        # One view serves several channels' lists (the unsubscribers of SMS, WhatsApp and voice):
        # its description says `{channel}` and each path's operation names its own.
        channel = getattr(self.view, "channel", None)
        if operation and channel and "{channel}" in operation.get("description", ""):
            operation["description"] = operation["description"].replace(
                "{channel}", str(getattr(channel, "label", channel))
            )
        return operation

    def get_operation_id(self):
        """Unique ids for generated clients: a list is `…_list` (not `…_retrieve`, which its detail
        path has too), and a DELETE on a collection (clean all) is `…_clean`."""
        operation_id = super().get_operation_id()
        if "{" in self.path.rstrip("/").rsplit("/", 1)[-1]:
            return operation_id
        names = {p.name for p in self.get_override_parameters() if isinstance(p, OpenApiParameter)}
        if self.method == "GET" and "page" in names and operation_id.endswith("_retrieve"):
            return operation_id.removesuffix("_retrieve") + "_list"
        if self.method == "DELETE" and operation_id.endswith("_destroy"):
            return operation_id.removesuffix("_destroy") + "_clean"
        return operation_id

    def _get_response_bodies(self, direction="response"):
        # Hooked here, not in get_response_serializers(): @extend_schema replaces that method.
        bodies = super()._get_response_bodies(direction)
        for code, response in self.implied_errors().items():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return dict(sorted(bodies.items()))

    def implied_errors(self):
        """What the conventions layer answers on every operation of this kind: 401/403/429 past
        authentication, 422 (a query parameter or field it refuses), 404 for an unknown id in the
        path, 400 (malformed JSON) and 413 (over the body limit) where a body is read, 409 where
        an Idempotency-Key is taken."""
        implied = {401: UNAUTHENTICATED, 403: FORBIDDEN, 429: TOO_MANY}
        if "{" in self.path:
            implied[404] = NOT_FOUND
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        if has_body:
            implied[400] = BAD_REQUEST
            implied[413] = TOO_LARGE
        # Any query string is read: a NUL in any parameter is a 422 (V2APIView.initial).
        implied[422] = UNPROCESSABLE
        declared = [p for p in self.get_override_parameters() if isinstance(p, OpenApiParameter)]
        if any(p.name == IDEMPOTENCY_KEY.name for p in declared):
            implied[409] = IDEMPOTENCY_CONFLICT
        return implied

    def get_tags(self):
        parts = [p for p in self.path.strip("/").split("/") if p != "api" and not re.fullmatch(r"v\d+", p)]
        return parts[:1] or super().get_tags()


LINK = inline_serializer(
    name="PageLink",
    fields={
        "url": serializers.URLField(allow_null=True),
        "label": serializers.CharField(help_text="`&laquo; Previous`, a page number, `...` or `Next &raquo;`"),
        "active": serializers.BooleanField(),
    },
)
LINKS = inline_serializer(
    name="PaginationLinks",
    fields={name: serializers.URLField(allow_null=True) for name in ("first", "last", "prev", "next")},
)
META = inline_serializer(
    name="PaginationMeta",
    fields={
        "current_page": serializers.IntegerField(),
        "from": serializers.IntegerField(allow_null=True),
        "last_page": serializers.IntegerField(),
        "links": serializers.ListField(child=LINK),
        "path": serializers.URLField(),
        "per_page": serializers.IntegerField(default=15),
        "to": serializers.IntegerField(allow_null=True),
        "total": serializers.IntegerField(),
    },
)


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
class TextOrList(serializers.Field):
    """A value clients send either as a comma-separated string or as a JSON array (`to`, `tags`)."""


@extend_schema_field({"oneOf": [{"type": "integer", "enum": [0, 1]}, {"type": "string", "enum": ["0", "1"]}]})
class Flag(serializers.Field):
    """A 1/0 switch, as a number or a string."""


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class NumberOrText(serializers.Field):
    """A number clients send as a JSON number or as its digits (`max_units`, segment ids)."""


# `data: []`, as deletes and other answers without a payload carry it.
EMPTY_LIST = serializers.ListField(child=serializers.JSONField(), max_length=0, help_text="Always `[]`.")


def many(component):
    """A list of `component` (an inline serializer) as a field of an envelope."""
    return serializers.ListField(child=copy.deepcopy(component))


def envelope(name, data=None, *, with_code=True, with_data=True, paginated=False, sometimes_paginated=False):
    """Schema of `{status, code, message, data}` with `data` described by a serializer field;
    `paginated` adds the `links` and `meta` of list endpoints (`sometimes_paginated`: only some
    requests of the operation get them)."""
    fields = {"status": serializers.CharField(help_text='"OK" on success'), "message": serializers.CharField()}
    if with_code:
        fields["code"] = serializers.IntegerField(help_text="The HTTP status code")
    if with_data:
        fields["data"] = data if data is not None else serializers.JSONField()
    if paginated or sometimes_paginated:
        # The same component classes, so the schema names one PaginationLinks / PaginationMeta.
        fields["links"] = type(LINKS)(required=not sometimes_paginated)
        fields["meta"] = type(META)(required=not sometimes_paginated)
    return inline_serializer(name=name, fields=fields)


ERROR = inline_serializer(
    name="Error",
    fields={
        "status": serializers.CharField(help_text='"failed"'),
        "code": serializers.IntegerField(help_text="The HTTP status code"),
        "message": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="422 only: every failing field with its messages; nested fields use dot paths.",
        ),
    },
)


def error_response(description, *examples):
    """An error response with examples given as (name, code, message[, errors])."""
    built = []
    for name, code, message, *errors in examples:
        value = {"status": "failed", "code": code, "message": message}
        if errors:
            value["errors"] = errors[0]
        built.append(OpenApiExample(name, value=value, response_only=True, status_codes=[str(code)]))
    return OpenApiResponse(ERROR, description=description, examples=built)


UNAUTHENTICATED = error_response(
    "The token is missing, unknown, revoked or expired, or its account is disabled.",
    ("Unauthenticated", 401, "Unauthenticated."),
)
FORBIDDEN = error_response(
    "Valid credentials without access: the caller's IP is not on the token's whitelist, or the "
    "operation is not allowed for this account.",
    ("IP not whitelisted", 403, "Access from this IP address is not allowed for this token."),
    ("Not allowed", 403, "This action is unauthorized."),
)
UNPROCESSABLE = error_response(
    "Validation failed: `message` is the first error, `errors` lists each field.",
    (
        "Validation error",
        422,
        "The username field is required.",
        {"username": ["The username field is required."]},
    ),
)
TOO_MANY = error_response(
    "The key's requests-per-minute budget is spent; retry after `Retry-After` seconds.",
    ("Rate limited", 429, "Too Many Attempts."),
)
NOT_FOUND = error_response(
    "No object of the caller's account has this id (another account's id answers the same).",
    ("Not found", 404, "Not Found."),
)
BAD_REQUEST = error_response(
    "The body is not JSON, not a JSON object, or nests more than 32 levels deep.",
    ("Malformed JSON", 400, "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
    ("Not an object", 400, "JSON parse error - The body must be a JSON object."),
)
TOO_LARGE = error_response(
    "The body is larger than this operation takes (docs/api.md, Request limits).",
    ("Too large", 413, "The request body may not be greater than 4 MB."),
)
IDEMPOTENCY_CONFLICT = error_response(
    "The Idempotency-Key (or the request's own reference) was used in the last 24 hours for a "
    "different request: nothing was done.",
    (
        "Key reused",
        409,
        "The Idempotency-Key 'order-1001' was already used for a different request. Keys for idempotent "
        "requests can only be reused with the same parameters: send the same request to get its first "
        "answer, or a new key for a new request.",
    ),
)
ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN, 422: UNPROCESSABLE, 429: TOO_MANY}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any string up to 200 characters, unique per request you mean once. A retry with the same "
    "key and the same request within 24 hours answers the first request's answer and does nothing "
    "again; the same key with a different request is a 409.",
)

PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter(
        "per_page", OpenApiTypes.INT, description="Items per page (default 15, at most 1000); `limit` is an alias."
    ),
]

# How each kind of django-filter filter is written in the query string.
_FILTER_TYPES = [
    (django_filters.UUIDFilter, OpenApiTypes.UUID),
    (django_filters.NumberFilter, OpenApiTypes.NUMBER),
    (django_filters.DateFilter, OpenApiTypes.DATE),
]


def filter_parameters(filterset_class):
    """The `filter[<name>]` query parameters of a FilterSet shared with the pages."""
    parameters = []
    for name, spec in filterset_class.base_filters.items():
        kind = next((t for cls, t in _FILTER_TYPES if isinstance(spec, cls)), OpenApiTypes.STR)
        choices = getattr(spec, "extra", {}).get("choices")
        enum = [str(value) for value, _ in choices] if isinstance(choices, list | tuple) else None
        if isinstance(spec, django_filters.OrderingFilter):
            enum = [str(v) for value, _ in spec.extra["choices"] for v in (value,)]
        parameters.append(
            OpenApiParameter(f"filter[{name}]", kind, enum=enum, description=str(spec.label or "").capitalize())
        )
    return parameters


def list_parameters(filterset_class=None):
    """Page selection, plus the FilterSet's `filter[...]` parameters when the list has one."""
    return [*(filter_parameters(filterset_class) if filterset_class else []), *PAGE_PARAMETERS]
