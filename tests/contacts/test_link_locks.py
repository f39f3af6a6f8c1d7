"""The contact link tables have no foreign-key constraint (docs/contacts.md): the services' row locks
must keep a concurrent delete and a new identifier or tag link from leaving an orphan."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from contacts.models import Contact, ContactTag, Identifier, Tag
from contacts.services import contacts as contact_services
from contacts.services import identifiers, tags
from portal.core.errors import NotFound
from tests.factories import make_account

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races are tested on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _contact(account, identity):
    return contact_services.create_contact(account=account, data={"identity": identity, "phone": "919812300001"})


def _race(slow_delete, write):
    """Run `slow_delete` (which holds its transaction a moment) and `write` side by side; returns
    what `write` raised, if anything."""
    outcome = {}

    def deleter():
        try:
            slow_delete()
        finally:
            connections.close_all()

    def writer():
        time.sleep(0.1)  # start once the delete holds its lock
        try:
            write()
        except NotFound as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deleter), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcome.get("error")


def test_an_identifier_added_while_its_contact_is_deleted_is_refused(product_rows):
    account, _ = make_account()
    contact = _contact(account, "asha")

    def slow_delete():
        with transaction.atomic():
            contact_services.delete_contact(contact=Contact.objects.get(pk=contact.pk))
            time.sleep(0.5)

    error = _race(
        slow_delete,
        lambda: identifiers.add_identifier(contact=contact, data={"type": "email", "value": "asha@example.com"}),
    )
    assert isinstance(error, NotFound)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not Identifier.objects.filter(contact_id=contact.pk).exists()


def test_a_tag_linked_while_it_is_deleted_is_made_again(product_rows):
    account, _ = make_account()
    contact = _contact(account, "ravi")
    vip = tags.create_tag(account=account, data={"name": "vip"})

    def slow_delete():
        with transaction.atomic():
            tags.delete_tag(tag=Tag.objects.get(pk=vip.pk))
            time.sleep(0.5)

    assert _race(slow_delete, lambda: tags.add_contact_tags(contact=contact, names=["vip"])) is None
    links = ContactTag.objects.filter(contact=contact)
    assert links.count() == 1
    assert Tag.objects.filter(pk=links.get().tag_id, name="vip").exists()  # the link's tag exists
    assert not ContactTag.objects.filter(tag_id=vip.pk).exists()
