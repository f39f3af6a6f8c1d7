"""Merges and opt-outs racing on the same contacts (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection, connections

from contacts.models import Contact, Identifier, Subscription
from contacts.services import contacts as contact_services
from contacts.services import merge as merge_services
from contacts.services import subscriptions as subscription_services
from portal.core.errors import ValidationFailed

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races are tested on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def race(*targets):
    """Run the callables at the same moment in their own connections; returns their outcomes."""
    barrier = threading.Barrier(len(targets))
    outcomes = [None] * len(targets)

    def run(i, fn):
        try:
            barrier.wait()
            outcomes[i] = fn()
        except ValidationFailed as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_opposite_merges_of_a_pair_end_with_one_contact_and_every_identifier(product_rows):
    from tests.factories import make_account

    account, _ = make_account()
    a = contact_services.create_contact(account=account, data={"identity": "a", "phone": "919876543210"})
    b = contact_services.create_contact(account=account, data={"identity": "b", "phone": "919876543211"})
    outcomes = race(
        lambda: merge_services.merge_contacts(account=account, origin=str(a.pk), destination=str(b.pk)),
        lambda: merge_services.merge_contacts(account=account, origin=str(b.pk), destination=str(a.pk)),
    )
    merged = [o for o in outcomes if isinstance(o, Contact)]
    refused = [o for o in outcomes if isinstance(o, ValidationFailed)]
    assert len(merged) == 1 and len(refused) == 1, outcomes
    survivor = Contact.objects.get(account=account)
    assert survivor.pk == merged[0].pk
    assert set(Identifier.objects.filter(contact=survivor).values_list("value", flat=True)) == {
        "919876543210",
        "919876543211",
    }


def test_concurrent_unsubscribes_create_one_row_per_channel(product_rows):
    from tests.factories import make_account

    account, _ = make_account()
    contact = contact_services.create_contact(
        account=account, data={"identity": "c", "phone": "919876543210", "email": "c@example.com"}
    )
    race(*[lambda: subscription_services.unsubscribe(contact=contact) for _ in range(4)])
    assert sorted(Subscription.objects.filter(contact=contact).values_list("channel", "status")) == [
        ("email", "unsubscribed"),
        ("sms", "unsubscribed"),
    ]
