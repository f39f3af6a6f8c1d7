"""API keys: created with the secret shown once, looked up by hash, revoked, whitelisted."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, parse_ip_whitelist
from accounts.services import audit
from portal.core.errors import DomainError

KEY_PREFIX = "pk_"


def hash_key(secret):
    # Keys carry 256 bits of randomness, so a fast hash is enough and allows an indexed lookup.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(*, account, name, actor=None, ip_whitelist="", expires_at=None, request=None):
    """Create a key; returns (api_key, secret). The secret is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError("The name field is required.", field="name")
    if len(name) > 100:
        raise DomainError("The name may not be greater than 100 characters.", field="name")
    try:
        networks = parse_ip_whitelist(ip_whitelist or "")
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="ip_whitelist") from None
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry must be in the future.", field="expires_at")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            account=account,
            name=name,
            prefix=secret[:10],
            key_hash=hash_key(secret),
            ip_whitelist=networks,
            expires_at=expires_at,
            created_by=actor,
        )
        audit.record(
            "api_key.created",
            account=account,
            actor=actor,
            target=str(key),
            request=request,
            key=str(key.uuid),
            ip_whitelist=networks,
        )
    return key, secret


def revoke_api_key(*, api_key, actor=None, request=None):
    if api_key.revoked_at:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit.record(
        "api_key.revoked",
        account=api_key.account,
        actor=actor,
        target=str(api_key),
        request=request,
        key=str(api_key.uuid),
    )
    return api_key


def find_key(secret):
    """The ApiKey a presented secret belongs to, active or not, or None."""
    if not secret or not secret.startswith(KEY_PREFIX):
        return None
    return ApiKey.objects.select_related("account").filter(key_hash=hash_key(secret)).first()


def mark_used(api_key, ip):
    """Record last use; written at most once a minute per key to keep hot paths cheap."""
    now = timezone.now()
    if api_key.last_used_at and (now - api_key.last_used_at).total_seconds() < 60 and api_key.last_used_ip == ip:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_ip=ip or None)
    api_key.last_used_at, api_key.last_used_ip = now, ip
