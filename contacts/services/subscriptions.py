"""Channel subscriptions of a contact, kept in step with the channel opt-outs.

The send path scrubs against the opt-outs of messaging.consent (an opted-out number is refused as OPTOUT-REJ),
so an unsubscribe here opts the number out of that channel ("everything" scope) and a resubscribe lifts that
opt-out again. Contacts without a subscription row on a channel count as subscribed.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import audit
from contacts.models import (
    NUMBER_TYPES,
    Contact,
    Identifier,
    IdentifierType,
    Subscription,
    SubscriptionChannel,
    SubscriptionStatus,
)
from contacts.services.contacts import EVENT, UPDATED, event_payload, with_relations
from messaging import consent
from portal.api.formats import resource_time
from portal.core import events
from portal.core.errors import ValidationFailed

CREATED = "Subscription created successfully"
SUB_UPDATED = "Subscription updated successfully"
DELETED = "Subscription deleted successfully"
UNSUBSCRIBED = "Unsubscribed successfully"
RESUBSCRIBED = "Resubscribed successfully"

# Which identifier types can carry each channel's messages.
CHANNEL_TYPES = {
    SubscriptionChannel.SMS: {IdentifierType.PHONE},
    SubscriptionChannel.VOICE: {IdentifierType.PHONE},
    SubscriptionChannel.WHATSAPP: {IdentifierType.WHATSAPP, IdentifierType.PHONE},
    SubscriptionChannel.RCS: {IdentifierType.RCS, IdentifierType.PHONE},
    SubscriptionChannel.VIBER: {IdentifierType.VIBER, IdentifierType.PHONE},
    SubscriptionChannel.EMAIL: {IdentifierType.EMAIL},
}
# "Unsubscribe from all" also covers identifiers that never had a row: their natural channel.
NATIVE_CHANNEL = {
    IdentifierType.PHONE: SubscriptionChannel.SMS,
    IdentifierType.WHATSAPP: SubscriptionChannel.WHATSAPP,
    IdentifierType.RCS: SubscriptionChannel.RCS,
    IdentifierType.VIBER: SubscriptionChannel.VIBER,
    IdentifierType.EMAIL: SubscriptionChannel.EMAIL,
}
SUPPRESSIBLE = consent.CHANNELS

# A contact has a few identifiers times a few channels: one request names at most this many.
MAX_ITEMS = 100


def subscription_data(sub):
    identifier = sub.identifier
    return {
        "id": sub.pk,
        "contact_id": sub.contact_id,
        "channel": sub.channel,
        "channel_id": sub.channel_id,
        "identifier_id": sub.identifier_id,
        "identifier": {"type": identifier.type, "value": identifier.value},
        "status": sub.status,
        "subscribed": sub.is_subscribed,
        "unsubscribed_at": resource_time(sub.unsubscribed_at),
        "created_at": resource_time(sub.created_at),
        "updated_at": resource_time(sub.updated_at),
    }


def _item(contact, item, prefix, existing=None):
    errors = {}
    if not isinstance(item, dict):
        raise ValidationFailed({prefix.rstrip("."): ["Each subscription must be an object."]})
    channel = str(item.get("channel", existing.channel if existing else "") or "").strip().lower()
    if not channel:
        errors[f"{prefix}channel"] = [f"The {prefix}channel field is required."]
    elif channel not in SubscriptionChannel.values:
        errors[f"{prefix}channel"] = [
            f"The selected {prefix}channel is invalid ({', '.join(SubscriptionChannel.values)})."
        ]
    channel_id = str(item.get("channel_id") or "").strip() or (existing.channel_id if existing else channel)
    if len(channel_id) > 100:
        errors[f"{prefix}channel_id"] = [f"The {prefix}channel id may not be greater than 100 characters."]
    raw_id = item.get("identifier_id", existing.identifier_id if existing else None)
    identifier = None
    if raw_id in (None, ""):
        errors[f"{prefix}identifier_id"] = [f"The {prefix}identifier id field is required."]
    else:
        try:
            identifier = contact.identifiers.filter(pk=int(raw_id)).first()
        except (TypeError, ValueError):
            identifier = None
        if identifier is None:
            errors[f"{prefix}identifier_id"] = [f"The selected {prefix}identifier id is invalid."]
        elif channel in CHANNEL_TYPES and identifier.type not in CHANNEL_TYPES[channel]:
            errors[f"{prefix}identifier_id"] = [f"A {identifier.type} identifier cannot subscribe to {channel}."]
    if errors:
        raise ValidationFailed(errors)
    return {"channel": channel, "channel_id": channel_id, "identifier": identifier}


def _suppressible(sub):
    return sub.channel in SUPPRESSIBLE and sub.identifier.type in NUMBER_TYPES


def mirror_optouts(subscriptions, *, request=None):
    """Opt the numbers of unsubscribed subscriptions out of their channel (everything scope)."""
    for sub in subscriptions:
        if _suppressible(sub):
            consent.opt_out(account=sub.account, channel=sub.channel, receiver=sub.identifier.value, request=request)


def _lift_optouts(subscriptions, *, request=None):
    """Lift the "everything" opt-outs an unsubscribe recorded; scoped opt-outs (a tag, a sender) stay."""
    for sub in subscriptions:
        if _suppressible(sub):
            consent.opt_in(account=sub.account, channel=sub.channel, receiver=sub.identifier.value, request=request)


def _emit(contact):
    contact = with_relations(Contact.objects.filter(pk=contact.pk)).get()
    subs = Subscription.objects.filter(contact=contact).select_related("identifier")
    payload = {**event_payload(contact, UPDATED), "subscriptions": [subscription_data(s) for s in subs]}
    events.emit(account=contact.account, type=EVENT, payload=payload)


def create_subscriptions(*, contact, items, actor=None, request=None):
    """Create one subscription per item ({channel, channel_id, identifier_id}); an item that already exists
    is returned unchanged (use resubscribe to lift an opt-out). Raises ValidationFailed (`subscriptions.N.x`)."""
    if not isinstance(items, list) or not items:
        raise ValidationFailed({"subscriptions": ["The subscriptions field is required and must be an array."]})
    if len(items) > MAX_ITEMS:
        raise ValidationFailed({"subscriptions": [f"The subscriptions may not have more than {MAX_ITEMS} items."]})
    errors, cleaned = {}, []
    for i, item in enumerate(items):
        try:
            cleaned.append(_item(contact, item, f"subscriptions.{i}."))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    out = []
    with transaction.atomic():
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        for fields in cleaned:
            sub, _ = Subscription.objects.get_or_create(account=contact.account, contact=contact, **fields)
            out.append(sub)
        _emit(contact)
    audit.record(
        "contact_subscription.created", account=contact.account, actor=actor, request=request, target=contact.identity
    )
    return out


def update_subscription(*, subscription, data, actor=None, request=None):
    """Change channel, channel_id or identifier; an opt-out follows the subscription to its new address."""
    fields = _item(subscription.contact, data, "", existing=subscription)
    for key, value in fields.items():
        setattr(subscription, key, value)
    try:
        with transaction.atomic():
            subscription.save()
            if not subscription.is_subscribed:
                mirror_optouts([subscription], request=request)
            _emit(subscription.contact)
    except IntegrityError:
        raise ValidationFailed({"identifier_id": ["This identifier already has that subscription."]}) from None
    audit.record(
        "contact_subscription.updated",
        account=subscription.account,
        actor=actor,
        request=request,
        target=subscription.contact.identity,
    )
    return subscription


def delete_subscription(*, subscription, actor=None, request=None):
    """Remove the subscription record. An opt-out already recorded for the number stays."""
    contact = subscription.contact
    with transaction.atomic():
        subscription.delete()
        _emit(contact)
    audit.record(
        "contact_subscription.deleted", account=contact.account, actor=actor, request=request, target=contact.identity
    )


def _targets(contact, subscription):
    if subscription is not None:
        if subscription.contact_id != contact.pk:
            raise ValidationFailed({"subscription": ["The subscription does not belong to this contact."]})
        return [subscription]
    return list(Subscription.objects.filter(contact=contact).select_related("identifier"))


def unsubscribe(*, contact, subscription=None, actor=None, request=None):
    """Opt the contact out of one subscription, or of every channel it can be reached on (identifiers
    without a row get one on their natural channel). Each number is opted out of the channel."""
    now = timezone.now()
    with transaction.atomic():
        # One change at a time per contact: two unsubscribes must not race on the missing rows.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if subscription is None:
            covered = set(Subscription.objects.filter(contact=contact).values_list("identifier_id", "channel"))
            missing = [
                Subscription(
                    account=contact.account,
                    contact=contact,
                    identifier=identifier,
                    channel=NATIVE_CHANNEL[identifier.type],
                    channel_id=NATIVE_CHANNEL[identifier.type],
                )
                for identifier in Identifier.objects.filter(contact=contact)
                if identifier.type in NATIVE_CHANNEL and (identifier.pk, NATIVE_CHANNEL[identifier.type]) not in covered
            ]
            Subscription.objects.bulk_create(missing, ignore_conflicts=True)
        targets = _set_status(contact, subscription, SubscriptionStatus.UNSUBSCRIBED, now)
        mirror_optouts(targets, request=request)
        _emit(contact)
    _audit("contact.unsubscribed", contact, targets, actor, request)
    return targets


def resubscribe(*, contact, subscription=None, actor=None, request=None):
    """Lift the opt-out of one subscription or of all of them, and the numbers' "everything" opt-outs on the
    channels, so sends reach them again."""
    now = timezone.now()
    with transaction.atomic():
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        targets = _set_status(contact, subscription, SubscriptionStatus.SUBSCRIBED, now)
        _lift_optouts(targets, request=request)
        _emit(contact)
    _audit("contact.resubscribed", contact, targets, actor, request)
    return targets


def _set_status(contact, subscription, status, now):
    """Move one subscription (or all of the contact's) to `status`; returns them, updated."""
    targets = _targets(contact, subscription)
    unsubscribed_at = now if status == SubscriptionStatus.UNSUBSCRIBED else None
    Subscription.objects.filter(pk__in=[s.pk for s in targets]).update(
        status=status, unsubscribed_at=unsubscribed_at, updated_at=now
    )
    for sub in targets:
        sub.status, sub.unsubscribed_at, sub.updated_at = status, unsubscribed_at, now
    return targets


def _audit(action, contact, targets, actor, request):
    audit.record(
        action,
        account=contact.account,
        actor=actor,
        request=request,
        target=contact.identity,
        subscriptions=[s.pk for s in targets],
    )
