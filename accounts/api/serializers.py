from rest_framework import serializers

from messaging.services.catalog import enabled_services


class AddCreditsSerializer(serializers.Serializer):
    username = serializers.CharField(
        max_length=100,
        error_messages={"required": "The username field is required.", "blank": "The username field is required."},
    )
    credits = serializers.CharField(
        max_length=30,
        error_messages={"required": "The credits field is required.", "blank": "The credits field is required."},
    )
    service = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    order_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


def account_payload(account, api_key):
    """The `auth/me` body (undocumented in the catalog; field choice recorded in docs/api.md)."""
    return {
        "id": str(account.uuid),
        "name": account.name,
        "username": account.username,
        "email": account.email,
        "mobile": account.mobile,
        "is_reseller": int(account.is_reseller),
        "parent": account.parent.username if account.parent_id else None,
        "services": sorted(enabled_services(account).values_list("code", flat=True)),
        "rate_limit": account.rate_limit,
        "token": {
            "name": api_key.name,
            "prefix": api_key.prefix,
            "expires_at": api_key.expires_at.isoformat() if api_key.expires_at else None,
            "ip_whitelist": api_key.ip_whitelist,
        },
        "created_at": account.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
