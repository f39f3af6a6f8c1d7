"""Merging two contacts of an account into one."""

from django.db import transaction

from accounts.services import audit
from contacts.models import Contact, ContactTag, Identifier, SegmentMember, Subscription
from contacts.services.contacts import EVENT, TEXT_FIELDS, UPDATED, event_payload, with_relations
from portal.core import events
from portal.core.errors import ValidationFailed

# Scalar columns copied from origin when destination has none.
FILLED = (*TEXT_FIELDS, "gender", "birth_date")


def _resolve(account, raw, field):
    try:
        pk = int(str(raw).strip())
    except (TypeError, ValueError):
        pk = None
    if raw in (None, ""):
        raise ValidationFailed({field: [f"The {field} field is required."]})
    if pk is None or not Contact.objects.for_account(account).filter(pk=pk).exists():
        raise ValidationFailed({field: [f"The selected {field} is invalid."]})
    return pk


def merge_contacts(*, account, origin, destination, actor=None, request=None):
    """Merge `origin` into `destination` (contacts or their ids) and return the destination.

    Guarantees, in one transaction with both rows locked (in id order, so two merges of the same pair
    cannot deadlock):
    - every identifier, subscription, tag and static-segment membership of origin ends up on destination
      (identifier values are unique per account, so nothing collides; shared tags/segments are kept once);
    - destination's non-empty fields win; its empty fields take origin's value;
    - attributes are merged key by key, destination's value winning on a conflict;
    - origin is deleted; its identity is recorded in the audit trail.
    Raises ValidationFailed for a missing, unknown or other account's id, or origin == destination.
    """
    origin_id = origin.pk if isinstance(origin, Contact) else _resolve(account, origin, "origin")
    destination_id = (
        destination.pk if isinstance(destination, Contact) else _resolve(account, destination, "destination")
    )
    if origin_id == destination_id:
        raise ValidationFailed({"destination": ["The destination and origin must be different."]})
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Contact.objects.for_account(account)
            .filter(pk__in=[origin_id, destination_id])
            .order_by("pk")
            .select_for_update()
        }
        if origin_id not in locked:
            raise ValidationFailed({"origin": ["The selected origin is invalid."]})
        if destination_id not in locked:
            raise ValidationFailed({"destination": ["The selected destination is invalid."]})
        src, dst = locked[origin_id], locked[destination_id]

        # Destination keeps its own primary phone/e-mail; origin's become secondary identifiers.
        Identifier.objects.filter(contact=src).update(contact=dst, is_primary=False)
        Subscription.objects.filter(contact=src).update(contact=dst)
        ContactTag.objects.bulk_create(
            [
                ContactTag(contact=dst, tag_id=t)
                for t in ContactTag.objects.filter(contact=src).values_list("tag_id", flat=True)
            ],
            ignore_conflicts=True,
        )
        SegmentMember.objects.bulk_create(
            [
                SegmentMember(contact=dst, segment_id=s)
                for s in SegmentMember.objects.filter(contact=src).values_list("segment_id", flat=True)
            ],
            ignore_conflicts=True,
        )
        for field in FILLED:
            if getattr(dst, field) in (None, "") and getattr(src, field) not in (None, ""):
                setattr(dst, field, getattr(src, field))
        dst.attributes = {**(src.attributes or {}), **(dst.attributes or {})}
        dst.save()
        origin_identity = src.identity
        src.delete()

        contact = with_relations(Contact.objects.filter(pk=dst.pk)).get()
        events.emit(account=account, type=EVENT, payload=event_payload(contact, UPDATED))
        audit.record(
            "contact.merged",
            account=account,
            actor=actor,
            request=request,
            target=contact.identity,
            origin_id=origin_id,
            origin_identity=origin_identity,
        )
    return contact
