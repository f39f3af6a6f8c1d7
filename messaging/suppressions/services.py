"""Unsubscribers and blocked templates: single changes, clean-up, and the send path's checks."""

import re

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.services import audit
from messaging.events import (
    RCS_UNSUBSCRIPTION,
    SMS_UNSUBSCRIPTION,
    VIBER_UNSUBSCRIPTION,
    VOICE_UNSUBSCRIPTION,
    WHATSAPP_UNSUBSCRIPTION,
)
from messaging.suppressions.models import ALL_VALUE, BlockedTemplate, Channel, ScopeType, Unsubscriber
from portal.api.formats import resource_time
from portal.core import events, rules
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize

TYPE_SYNONYMS = {"service": ScopeType.PRODUCT}
TEMPLATE_ID = re.compile(r"\d{1,30}\Z")
CHUNK = 10_000


def canonical_type(value):
    value = (value or "").strip().lower() or ScopeType.ALL
    return TYPE_SYNONYMS.get(value, value)


def _scope(data, errors, existing=None):
    type_ = canonical_type(data.get("type", existing.type if existing else ""))
    value = str(data.get("value", existing.value if existing else "") or "").strip()
    if type_ not in ScopeType.values:
        errors.setdefault("type", []).append("The selected type is invalid (tag, product, sender or all).")
    elif type_ == ScopeType.ALL:
        value = ALL_VALUE
    elif not value:
        errors.setdefault("value", []).append(f"The value field is required when type is {type_}.")
    elif len(value) > 100:
        errors.setdefault("value", []).append("The value may not be greater than 100 characters.")
    if type_ == ScopeType.PRODUCT:
        value = value.upper()
    return type_, value


def _validated_unsubscriber(data, existing=None):
    errors = {}
    raw = data.get("receiver", existing.receiver if existing else "")
    receiver = iso = None
    if not str(raw or "").strip():
        errors["receiver"] = ["The receiver field is required."]
    else:
        try:
            receiver, iso = normalize(raw)
        except InvalidNumber as exc:
            errors["receiver"] = [str(exc)]
    type_, value = _scope(data, errors, existing)
    if errors:
        raise ValidationFailed(errors)
    return {"receiver": receiver, "iso": iso, "type": type_, "value": value}


UNSUBSCRIPTION_EVENTS = {
    "sms": SMS_UNSUBSCRIPTION,
    "whatsapp": WHATSAPP_UNSUBSCRIPTION,
    "rcs": RCS_UNSUBSCRIPTION,
    "viber": VIBER_UNSUBSCRIPTION,
    "voice": VOICE_UNSUBSCRIPTION,
}


def unsubscription_payload(unsub):
    """The `sms:unsubscription` event body (see the webhooks catalog)."""
    return {
        "event": f"{unsub.channel}:unsubscription",
        "id": str(unsub.uuid),
        "receiver": unsub.receiver,
        "iso": unsub.iso,
        "type": unsub.type,
        "value": unsub.value,
        "created_at": resource_time(unsub.created_at),
        "status": "Unsubscriber created successfully",
    }


def add_unsubscriber(*, account, data, channel=Channel.SMS, actor=None, request=None):
    """Suppress a number. An identical entry already there is returned unchanged."""
    fields = _validated_unsubscriber(data)
    with transaction.atomic():
        unsub, created = Unsubscriber.objects.get_or_create(account=account, channel=channel, **fields)
        if created:
            events.emit(
                account=account,
                type=UNSUBSCRIPTION_EVENTS[channel],
                payload=unsubscription_payload(unsub),
                identity=f"number:{unsub.receiver}",
            )
            audit.record("unsubscriber.added", account=account, actor=actor, request=request, target=unsub.receiver)
    return unsub


def update_unsubscriber(*, unsub, data, actor=None, request=None):
    fields = _validated_unsubscriber(data, existing=unsub)
    for key, value in fields.items():
        setattr(unsub, key, value)
    try:
        with transaction.atomic():
            unsub.save()
    except IntegrityError:
        raise ValidationFailed({"receiver": ["This number is already unsubscribed for that scope."]}) from None
    audit.record("unsubscriber.updated", account=unsub.account, actor=actor, request=request, target=unsub.receiver)
    return unsub


def delete_unsubscriber(*, unsub, actor=None, request=None):
    unsub.delete()
    audit.record("unsubscriber.deleted", account=unsub.account, actor=actor, request=request, target=unsub.receiver)


def clean_unsubscribers(*, account, channel=Channel.SMS, actor=None, request=None):
    deleted, _ = Unsubscriber.objects.for_account(account).filter(channel=channel).delete()
    audit.record("unsubscriber.cleaned", account=account, actor=actor, request=request, target=channel, deleted=deleted)
    return deleted


def _scope_filter(service_code=None, sender=None, tags=()):
    q = Q(type=ScopeType.ALL)
    if service_code:
        q |= Q(type=ScopeType.PRODUCT, value=service_code.upper())
    if sender:
        q |= Q(type=ScopeType.SENDER, value__iexact=sender)
    if tags:
        q |= Q(type=ScopeType.TAG, value__in=list(tags))
    return q


def is_unsubscribed(account, channel, receiver, *, service_code=None, sender=None, tags=()):
    return (
        Unsubscriber.objects.for_account(account)
        .filter(_scope_filter(service_code, sender, tags), channel=channel, receiver=receiver)
        .exists()
    )


def unsubscribed_set(account, channel, receivers, *, service_code=None, sender=None, tags=()):
    """Which of `receivers` are suppressed for this send: one query per 10,000 numbers."""
    receivers = list(dict.fromkeys(receivers))
    found = set()
    base = Unsubscriber.objects.for_account(account).filter(_scope_filter(service_code, sender, tags), channel=channel)
    if len(receivers) > CHUNK and base.count() <= len(receivers):
        # A big send against a smaller list: read the list once and intersect in memory.
        return set(base.values_list("receiver", flat=True)) & set(receivers)
    for i in range(0, len(receivers), CHUNK):
        found.update(base.filter(receiver__in=receivers[i : i + CHUNK]).values_list("receiver", flat=True))
    return found


# --- blocked templates --------------------------------------------------------------------


def _validated_block(data, existing=None):
    errors = {}
    template_id = str(data.get("template_id", existing.template_id if existing else "") or "").strip()
    if not template_id:
        errors["template_id"] = ["The template id field is required."]
    elif not TEMPLATE_ID.match(template_id):
        errors["template_id"] = ["The template id must be digits only."]
    status = data.get("status")
    if status in (None, ""):
        active = existing.is_active if existing else True
    elif str(status).strip() in {"1", "0"}:
        active = str(status).strip() == "1"
    else:
        errors["status"] = ["The selected status is invalid (1 active, 0 inactive)."]
        active = None
    if errors:
        raise ValidationFailed(errors)
    return {"template_id": template_id, "is_active": active}


def add_blocked_template(*, account, data, actor=None, request=None):
    fields = _validated_block(data)
    try:
        with transaction.atomic():
            block = BlockedTemplate.objects.create(account=account, **fields)
    except IntegrityError:
        raise ValidationFailed({"template_id": ["This template id is already blocked."]}) from None
    _blocklist_changed(account)
    audit.record("blocked_template.added", account=account, actor=actor, request=request, target=block.template_id)
    return block


def update_blocked_template(*, block, data, actor=None, request=None):
    fields = _validated_block(data, existing=block)
    for key, value in fields.items():
        setattr(block, key, value)
    try:
        with transaction.atomic():
            block.save()
    except IntegrityError:
        raise ValidationFailed({"template_id": ["This template id is already blocked."]}) from None
    _blocklist_changed(block.account)
    audit.record(
        "blocked_template.updated",
        account=block.account,
        actor=actor,
        request=request,
        target=block.template_id,
        active=block.is_active,
    )
    return block


def delete_blocked_template(*, block, actor=None, request=None):
    block.delete()
    _blocklist_changed(block.account)
    audit.record(
        "blocked_template.deleted", account=block.account, actor=actor, request=request, target=block.template_id
    )


def clean_blocked_templates(*, account, actor=None, request=None):
    deleted, _ = BlockedTemplate.objects.for_account(account).delete()
    _blocklist_changed(account)
    audit.record("blocked_template.cleaned", account=account, actor=actor, request=request, deleted=deleted)
    return deleted


def _blocklist_changed(account):

    rules.bump(account)


def is_blocked(account, template_id):
    return BlockedTemplate.objects.for_account(account).filter(template_id=template_id, is_active=True).exists()


def blocked_template_ids(account):
    return set(
        BlockedTemplate.objects.for_account(account).filter(is_active=True).values_list("template_id", flat=True)
    )
