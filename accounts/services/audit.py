"""Audit trail of security-relevant actions."""

from accounts.models import AuditEvent, User
from portal.net import client_ip


def record(action, *, account=None, actor=None, target="", request=None, **metadata):
    """Write one audit event. `request` supplies the address and user agent when given."""
    ip = user_agent = None
    if request is not None:
        ip = client_ip(request) or None
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:255]
        user = getattr(request, "user", None)
        if actor is None and isinstance(user, User):
            actor = user
        elif hasattr(user, "api_key"):  # an API call: name the key that made it
            metadata.setdefault("api_key", user.api_key.prefix)
    return AuditEvent.objects.create(
        account=account,
        actor=actor,
        actor_email=getattr(actor, "email", "") or metadata.pop("actor_email", ""),
        action=action,
        target=str(target)[:255],
        ip=ip,
        user_agent=user_agent or "",
        metadata=metadata,
    )
