"""Blocked templates: single changes, clean-up, and the send path's checks.

Opt-outs (unsubscribers) are changed and read through `messaging.consent`; what is left of them here
adapts the unsubscriber body ({receiver, type, value}) to it and keeps older names working.
"""

import re

from django.db import IntegrityError, transaction

from accounts.services import audit
from messaging import consent
from messaging.suppressions.models import BlockedTemplate, Channel
from portal.core import rules
from portal.core.errors import ValidationFailed

TEMPLATE_ID = re.compile(r"\d{1,30}\Z")


def scope_fields(data, entry=None):
    """The `consent` arguments (receiver, scope, value) of an unsubscriber body from the API or a form;
    keys absent from `data` keep `entry`'s values."""
    return {
        "receiver": data.get("receiver", entry.receiver if entry else ""),
        "scope": data.get("type", entry.type if entry else ""),
        "value": data.get("value", entry.value if entry else ""),
    }


def add_unsubscriber(*, account, data, channel=Channel.SMS, actor=None, request=None):
    """`consent.opt_out` for an unsubscriber body (seed data and tests use this form)."""
    return consent.opt_out(account=account, channel=channel, actor=actor, request=request, **scope_fields(data))


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
