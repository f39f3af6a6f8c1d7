"""OpenAPI descriptions shared by v2 endpoints: the bearer scheme, the envelope, errors, headers."""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
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


# Set once the throttle has run, i.e. on every answer past authentication.
_THROTTLED_CODES = [200, 201, 202, 404, 409, 422, 429]
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
    """Every v2 operation carries the rate-limit headers and is tagged by its first path part
    after the version (`auth`, `finance`, `sms`, ...)."""

    def get_override_parameters(self):
        return [*super().get_override_parameters(), *RATE_LIMIT_HEADERS]

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


def envelope(name, data=None, *, with_code=True, with_data=True, paginated=False):
    """Schema of `{status, code, message, data}` with `data` described by a serializer field;
    `paginated` adds the `links` and `meta` of list endpoints."""
    fields = {"status": serializers.CharField(help_text='"OK" on success'), "message": serializers.CharField()}
    if with_code:
        fields["code"] = serializers.IntegerField(help_text="The HTTP status code")
    if with_data:
        fields["data"] = data if data is not None else serializers.JSONField()
    if paginated:
        fields["links"] = LINKS
        fields["meta"] = META
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
ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN, 422: UNPROCESSABLE, 429: TOO_MANY}
