"""Identifiers: the addresses (mobile, e-mail, WhatsApp, ...) of a contact."""

from django.db import IntegrityError, transaction

from accounts.services import audit
from contacts.models import Identifier, SubscriptionStatus
from contacts.services.contacts import canonical_type, normalize_identifier
from contacts.services.locks import hold_contact
from contacts.services.subscriptions import mirror_optouts
from portal.api.formats import resource_time
from portal.core.errors import ValidationFailed

UPDATED = "Identifier updated successfully"
DELETED = "Identifier deleted successfully"


def identifier_data(identifier):
    return {
        "id": identifier.pk,
        "contact_id": identifier.contact_id,
        "type": identifier.type,
        "value": identifier.value,
        "created_at": resource_time(identifier.created_at),
        "updated_at": resource_time(identifier.updated_at),
    }


def _validated(data):
    errors = {}
    type_ = canonical_type(data.get("type"))
    if not type_:
        errors["type"] = ["The type field is required."]
    if data.get("value") in (None, ""):
        errors["value"] = ["The value field is required."]
    if errors:
        raise ValidationFailed(errors)
    return type_, normalize_identifier(type_, data.get("value"))


def _taken(account, type_, value, exclude_pk=None):
    qs = Identifier.objects.for_account(account).filter(type=type_, value=value)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def add_identifier(*, contact, data, actor=None, request=None):
    """Raises ValidationFailed: bad type/value, or the value already identifies a contact of the account."""
    type_, value = _validated(data)
    if _taken(contact.account, type_, value):
        raise ValidationFailed({"value": ["The value has already been taken."]})
    try:
        with transaction.atomic():
            hold_contact(contact)
            identifier = Identifier.objects.create(account=contact.account, contact=contact, type=type_, value=value)
    except IntegrityError:
        raise ValidationFailed({"value": ["The value has already been taken."]}) from None
    audit.record(
        "contact_identifier.added", account=contact.account, actor=actor, request=request, target=f"{type_}:{value}"
    )
    return identifier


def update_identifier(*, identifier, data, actor=None, request=None):
    """Change type and value. An unsubscribed identifier keeps its opt-out: the new number is added to the
    channel's opt-outs too (the old number's opt-out stays, it was that number's refusal)."""
    type_, value = _validated(data)
    if _taken(identifier.account, type_, value, exclude_pk=identifier.pk):
        raise ValidationFailed({"value": ["The value has already been taken."]})
    identifier.type, identifier.value = type_, value
    try:
        with transaction.atomic():
            hold_contact(identifier.contact)
            identifier.save()
            unsubscribed = list(identifier.subscriptions.filter(status=SubscriptionStatus.UNSUBSCRIBED))
            mirror_optouts(unsubscribed)
    except IntegrityError:
        raise ValidationFailed({"value": ["The value has already been taken."]}) from None
    audit.record(
        "contact_identifier.updated",
        account=identifier.account,
        actor=actor,
        request=request,
        target=f"{type_}:{value}",
    )
    return identifier


def delete_identifier(*, identifier, actor=None, request=None):
    """Delete an identifier and its subscriptions (opt-outs already in the unsubscriber lists remain)."""
    target = f"{identifier.type}:{identifier.value}"
    with transaction.atomic():
        identifier.delete()
    audit.record("contact_identifier.deleted", account=identifier.account, actor=actor, request=request, target=target)
