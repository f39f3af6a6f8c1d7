"""Audit trail of security-relevant actions."""

from accounts.models import AuditEvent, User
from portal.core.net import client_ip


def record(action, *, account=None, actor=None, target="", request=None, **metadata):
    """Write one audit event. `request` supplies the address and user agent when given; for an
    API call it also names the key, and the key's holder is the actor (the member it acts for)."""
    ip = user_agent = api_key = None
    if request is not None:
        ip = client_ip(request) or None
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:255]
        user = getattr(request, "user", None)
        if actor is None and isinstance(user, User):
            actor = user
        elif hasattr(user, "api_key"):
            api_key = user.api_key
            actor = actor or user.holder
            metadata.setdefault("api_key", api_key.prefix)
    return AuditEvent.objects.create(
        account=account,
        actor=actor,
        api_key=api_key,
        actor_email=getattr(actor, "email", "") or metadata.pop("actor_email", ""),
        action=action,
        target=str(target)[:255],
        ip=ip,
        user_agent=user_agent or "",
        metadata=metadata,
    )


# Human labels for the actions the portal records. An action missing here still reads as words
# (`action_label`), never as its code; tests/accounts/test_audit_labels.py finds every recorded one.
ACTION_LABELS = {
    "auth.login": "Logged in",
    "auth.logout": "Logged out",
    "auth.login_failed": "Failed login",
    "auth.login_throttled": "Login blocked (too many failures)",
    "auth.password_changed": "Password changed",
    "2fa.enabled": "Two-factor enabled",
    "2fa.disabled": "Two-factor disabled",
    "2fa.recovery_codes_regenerated": "Recovery codes regenerated",
    "api_key.created": "API key created",
    "api_key.revoked": "API key revoked",
    "api_key.transferred": "API key transferred",
    "team.invited": "Member invited",
    "team.invitation_revoked": "Invitation revoked",
    "team.joined": "Member joined",
    "team.role_changed": "Role changed",
    "team.removed": "Member removed",
    "credits.top_up": "Credits added",
    "credits.adjusted": "Credits adjusted by staff",
    "credits.transferred": "Credits transferred",
    "credits.alert_changed": "Low-balance alert changed",
    "brand.created": "Brand created",
    "brand.updated": "Brand edited",
    "brand.domain_added": "Brand domain added",
    "brand.domain_removed": "Brand domain removed",
    "brand.domain_taken_over": "Brand domain taken over",
    "voice.conference_created": "Conference created",
    "voice.flow_created": "Call flow created",
    "voice.flow_updated": "Call flow edited",
    "voice.flow_deleted": "Call flow deleted",
    "voice.sound_created": "Sound file uploaded",
    "voice.sound_deleted": "Sound file deleted",
    "support.view_started": "Read-only view started",
    "support.viewed": "Page viewed (read-only view)",
    "support.view_ended": "Read-only view ended",
    "account.created": "Account created",
    "account.activated": "Account activated",
    "account.deactivated": "Account deactivated",
    "account.rate_limit_changed": "API rate limit changed",
    "account.services_changed": "Services changed",
    "sender.created": "Sender ID registered",
    "sender.updated": "Sender ID edited",
    "sender.deleted": "Sender ID deleted",
    "sender.approved": "Sender ID approved",
    "sender.rejected": "Sender ID rejected",
    "template.created": "Template registered",
    "template.updated": "Template edited",
    "template.deleted": "Template deleted",
    "template.approved": "Template approved",
    "template.rejected": "Template rejected",
    "unsubscriber.added": "Unsubscriber added",
    "unsubscriber.updated": "Unsubscriber edited",
    "unsubscriber.deleted": "Unsubscriber removed",
    "unsubscriber.cleaned": "All unsubscribers deleted",
    "blocked_template.added": "Template blocked",
    "blocked_template.updated": "Blocked template edited",
    "blocked_template.deleted": "Blocked template removed",
    "blocked_template.cleaned": "All blocked templates deleted",
    "pricing.saved": "Price saved",
    "pricing.deleted": "Price deleted",
    "pricing.markup_set": "Customer markup set",
    "pricing.markup_removed": "Customer markup removed",
    "contact_import.uploaded": "Contact file uploaded",
    "contact_import.started": "Contact import started",
    "contact_import.cancelled": "Contact import cancelled",
    "contact_import.deleted": "Contact import record deleted",
    "contact.created": "Contact created",
    "contact.updated": "Contact edited",
    "contact.deleted": "Contact deleted",
    "contact.merged": "Contacts merged",
    "contact.unsubscribed": "Contact unsubscribed",
    "contact.resubscribed": "Contact resubscribed",
    "contact_identifier.added": "Contact identifier added",
    "contact_identifier.updated": "Contact identifier edited",
    "contact_identifier.deleted": "Contact identifier removed",
    "contact_subscription.created": "Contact subscribed",
    "contact_subscription.updated": "Contact subscription changed",
    "contact_subscription.deleted": "Contact subscription removed",
    "contact_tag.created": "Tag created",
    "contact_tag.updated": "Tag renamed",
    "contact_tag.deleted": "Tag deleted",
    "segment.created": "Segment created",
    "segment.updated": "Segment edited",
    "segment.deleted": "Segment deleted",
    "webhook.created": "Webhook created",
    "webhook.updated": "Webhook edited",
    "webhook.deleted": "Webhook deleted",
    "webhook.deactivated": "Webhook deactivated",
    "webhook.restored": "Webhook activated",
    "webhook.tested": "Webhook test event sent",
    "webhook.replayed": "Webhook deliveries replayed",
    "webhook.subscribed": "Webhook subscribed to an event",
    "webhook.unsubscribed": "Webhook subscription removed",
    "connector.saved": "Supplier connector saved",
    "sms.schedule_cancelled": "Scheduled SMS cancelled",
}

# Words for the parts of an unlabelled code (`whatsapp.schedule_cancelled`).
_WORDS = {"sms": "SMS", "api": "API", "2fa": "Two-factor", "dlt": "DLT", "rcs": "RCS", "whatsapp": "WhatsApp"}


def action_label(action):
    """The action in words: its label, or its code spelled out (`x_y.done` → "X y done")."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    words = [_WORDS.get(w, w) for part in str(action).split(".") for w in part.split("_") if w]
    if not words:
        return str(action)
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])
