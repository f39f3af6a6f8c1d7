"""Row locks that stand in for the foreign-key checks the contact link tables do not have
(docs/contacts.md, "Foreign keys"): a writer of identifiers or tag links holds its parents for the
rest of its transaction, and a delete takes the parent first, so neither slips past the other."""

from contacts.models import Contact, Tag
from portal.core.errors import NotFound


def hold_contact(contact):
    """Lock the contact (FOR NO KEY UPDATE) until the transaction ends; NotFound if it is gone."""
    if not list(Contact.objects.select_for_update(no_key=True).filter(pk=contact.pk).values_list("pk", flat=True)):
        raise NotFound("Not Found.")


def hold_tags(tags):
    """Lock the tags (FOR NO KEY UPDATE); returns those that still exist."""
    ids = set(
        Tag.objects.select_for_update(no_key=True).filter(pk__in=[t.pk for t in tags]).values_list("pk", flat=True)
    )
    return [t for t in tags if t.pk in ids]


def take_contact(contact):
    """Lock the contact for deletion (FOR UPDATE) before its rows are collected."""
    list(Contact.objects.select_for_update().filter(pk=contact.pk).values_list("pk", flat=True))


def take_tag(tag):
    list(Tag.objects.select_for_update().filter(pk=tag.pk).values_list("pk", flat=True))
