from rest_framework import serializers

from accounts import products
from accounts import scopes as key_scopes
from portal.api.formats import resource_time


class AddCreditsSerializer(serializers.Serializer):
    username = serializers.CharField(
        max_length=100,
        help_text="Username of one of the caller's child accounts.",
        error_messages={"required": "The username field is required.", "blank": "The username field is required."},
    )
    credits = serializers.CharField(
        max_length=30,
        help_text='Amount to add, e.g. "2.34" (at most 4 decimals).',
        error_messages={"required": "The credits field is required.", "blank": "The credits field is required."},
    )
    service = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text="Service code (e.g. T, P, ENT); optional. Credits are shared by all services of the account.",
    )
    notes = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    order_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate_service(self, value):
        code = value.strip()
        if not code:
            return ""
        active = products.directory().active_code(code)
        if active is None:
            raise serializers.ValidationError("The selected service is invalid.")
        return active


class ApiTokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters of the key, to tell keys apart.")
    expires_at = serializers.DateTimeField(allow_null=True)
    ip_whitelist = serializers.ListField(child=serializers.CharField(), help_text="Networks allowed to use the key.")
    scopes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the key may do now: its scopes within its holder's current role (read, send, otp, "
        "write, webhooks, credits).",
    )


class MeSerializer(serializers.Serializer):
    """The calling account."""

    # Documents the body account_payload() builds; keep the two in step.
    id = serializers.UUIDField(help_text="Account id")
    name = serializers.CharField()
    username = serializers.CharField()
    email = serializers.EmailField()
    mobile = serializers.CharField()
    is_reseller = serializers.IntegerField(help_text="1 when the account can own child accounts")
    parent = serializers.CharField(allow_null=True, help_text="Username of the owning reseller")
    services = serializers.ListField(child=serializers.CharField(), help_text="Enabled service codes")
    rate_limit = serializers.IntegerField(help_text="Requests per minute per key")
    token = ApiTokenInfoSerializer(help_text="The key (or the key behind the bearer token) of this request")
    created_at = serializers.CharField()


class BalanceItemSerializer(serializers.Serializer):
    service = serializers.CharField(help_text='Service code; "" for the general wallet')
    name = serializers.CharField()
    postpaid = serializers.IntegerField(help_text="0 or 1")
    credits = serializers.FloatField()
    charges = serializers.FloatField()


class BearerTokenSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text="JWT to send as `Authorization: Bearer`")
    token_type = serializers.CharField(help_text='Always "bearer"')
    expires_in = serializers.IntegerField(help_text="Lifetime in seconds (3600)")


def account_payload(account, api_key, scopes):
    """The `auth/me` body (undocumented in the catalog; field choice recorded in docs/api.md).
    `scopes`: what the request's key may do now."""
    return {
        "id": str(account.uuid),
        "name": account.name,
        "username": account.username,
        "email": account.email,
        "mobile": account.mobile,
        "is_reseller": int(account.is_reseller),
        "parent": account.parent.username if account.parent_id else None,
        "services": products.directory().enabled_codes(account),
        "rate_limit": account.rate_limit,
        "token": {
            "name": api_key.name,
            "prefix": api_key.prefix,
            "expires_at": resource_time(api_key.expires_at),
            "ip_whitelist": api_key.ip_whitelist,
            "scopes": key_scopes.ordered(scopes),
        },
        "created_at": resource_time(account.created_at),
    }
