"""OpenAPI descriptions shared by v2 endpoints: the bearer scheme and the envelope."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


class BearerAuthScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.authentication.ApiKeyAuthentication"
    name = "bearerAuth"  # the scheme name the published reference uses

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "API key (or a bearer token from /api/v3/auth/token/generate). "
            "Also accepted as the `access_token` query parameter.",
        }


def envelope(name, data=None, *, with_code=True, with_data=True):
    """Schema of `{status, code, message, data}` with `data` described by a serializer field."""
    fields = {"status": serializers.CharField(default="OK"), "message": serializers.CharField()}
    if with_code:
        fields["code"] = serializers.IntegerField(default=200)
    if with_data:
        fields["data"] = data if data is not None else serializers.JSONField()
    return inline_serializer(name=name, fields=fields)


ERROR = inline_serializer(
    name="Error",
    fields={
        "status": serializers.CharField(default="failed"),
        "code": serializers.IntegerField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    },
)
ERRORS = {401: ERROR, 403: ERROR, 422: ERROR, 429: ERROR}
