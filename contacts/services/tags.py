"""Tags: the account's tag list and which contacts carry them."""

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from accounts.services import audit
from contacts.models import ContactTag, Segment, Tag
from contacts.services.locks import hold_contact, hold_tags, take_tag
from portal.api.formats import resource_time
from portal.core import text
from portal.core.errors import ValidationFailed

CREATED = "Tag created successfully"
UPDATED = "Tag updated successfully"
DELETED = "Tag deleted successfully"


def tag_data(tag):
    data = {
        "id": tag.pk,
        "name": tag.name,
        "created_at": resource_time(tag.created_at),
        "updated_at": resource_time(tag.updated_at),
    }
    if hasattr(tag, "contacts_count"):
        data["contacts_count"] = tag.contacts_count
    return data


def _name(data):
    name = text.as_text(data.get("name"), "name").strip()
    if not name:
        raise ValidationFailed({"name": ["The name field is required."]})
    if len(name) > 100:
        raise ValidationFailed({"name": ["The name may not be greater than 100 characters."]})
    return name


def create_tag(*, account, data, actor=None, request=None):
    """Raises ValidationFailed on an empty, too long or already used name."""
    name = _name(data)
    try:
        with transaction.atomic():
            tag = Tag.objects.create(account=account, name=name)
    except IntegrityError:
        raise ValidationFailed({"name": ["The name has already been taken."]}) from None
    audit.record("contact_tag.created", account=account, actor=actor, request=request, target=name)
    return tag


def update_tag(*, tag, data, actor=None, request=None):
    """Rename a tag. Segments keep working: they hold tag ids, not names."""
    tag.name = _name(data)
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        raise ValidationFailed({"name": ["The name has already been taken."]}) from None
    audit.record("contact_tag.updated", account=tag.account, actor=actor, request=request, target=tag.name)
    return tag


def delete_tag(*, tag, actor=None, request=None):
    """Delete a tag, its contact links, and its id from every segment's tag lists and rules."""
    from contacts.services.segments import drop_tag_from_segments

    with transaction.atomic():
        take_tag(tag)  # links being written to it finish first, new ones then find it gone
        drop_tag_from_segments(account=tag.account, tag_id=tag.pk)
        name = tag.name
        tag.delete()
    audit.record("contact_tag.deleted", account=tag.account, actor=actor, request=request, target=name)


def tags_by_name(*, account, names, create=False):
    """The account's tags with these names, in the given order; missing ones created when `create`.

    Raises ValidationFailed (`tags`) naming the first unknown tag when not creating.
    """
    names = list(dict.fromkeys(str(n).strip() for n in names if str(n).strip()))
    if not names:
        return []
    found = {t.name: t for t in Tag.objects.for_account(account).filter(name__in=names)}
    missing = [n for n in names if n not in found]
    if missing and not create:
        raise ValidationFailed({"tags": [f'The tag "{missing[0]}" does not exist.']})
    if missing:
        Tag.objects.bulk_create([Tag(account=account, name=n) for n in missing], ignore_conflicts=True)
        found.update({t.name: t for t in Tag.objects.for_account(account).filter(name__in=missing)})
    return [found[n] for n in names]


def set_contact_tags(*, contact, names):
    """Replace the contact's tags with `names` (new names become tags)."""
    with transaction.atomic():
        tags = _held_tags(contact, names)
        ContactTag.objects.filter(contact=contact).exclude(tag__in=tags).delete()
        ContactTag.objects.bulk_create([ContactTag(contact=contact, tag=t) for t in tags], ignore_conflicts=True)


def add_contact_tags(*, contact, names):
    with transaction.atomic():
        tags = _held_tags(contact, names)
        ContactTag.objects.bulk_create([ContactTag(contact=contact, tag=t) for t in tags], ignore_conflicts=True)


def _held_tags(contact, names):
    """The tags for `names` (made when new), held with the contact until the links are written; a
    tag deleted between being found and being held is made again."""
    hold_contact(contact)
    tags = tags_by_name(account=contact.account, names=names, create=True)
    held = hold_tags(tags)
    if len(held) < len(tags):
        held = hold_tags(tags_by_name(account=contact.account, names=names, create=True))
    return held


def remove_contact_tags(*, contact, names):
    ContactTag.objects.filter(contact=contact, tag__name__in=list(names)).delete()


def tag_usage(*, account, tag_id):
    """How many segments refer to the tag (the delete dialog warns about them)."""
    segments = Segment.objects.for_account(account)
    if connection.vendor == "postgresql":
        return segments.filter(Q(positive_tags__contains=[tag_id]) | Q(negative_tags__contains=[tag_id])).count()
    # SQLite has no JSON containment; an account's segments are few enough to look at here.
    return sum(
        1 for pos, neg in segments.values_list("positive_tags", "negative_tags") if tag_id in (pos or []) + (neg or [])
    )
