"""Tenant-isolation cases: contacts (contacts, identifiers, tags, segments, subscriptions, imports)."""

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.imports import services as imports
from contacts.imports.models import ContactImport
from contacts.models import Contact, Identifier, Segment, Subscription, Tag
from contacts.services import contacts, identifiers, segments, subscriptions, tags
from tests.tenancy.registry import Case, Listing, Op, own, register

_numbers = itertools.count(1)


def _contact(account, marker="someone"):
    phone = f"+9198{next(_numbers) % 100000000:08d}"
    return contacts.create_contact(account=account, data={"identity": marker, "phone": phone})


def _own_contact(account):
    return _contact(account, f"mine-{next(_numbers)}").pk


def _own_segment(account):
    return segments.create_segment(account=account, data={"name": f"mine-{next(_numbers)}", "type": "static"}).pk


CONTACT_FORM = {"identity": "renamed", "phone": "+919800000001"}

register(
    Case(
        Contact,
        _contact,
        ops=(
            Op("GET", "contacts:contact_detail", {"pk": "pk"}),
            Op("GET", "contacts:contact_edit", {"pk": "pk"}),
            Op("POST", "contacts:contact_edit", {"pk": "pk"}, CONTACT_FORM),
            Op("POST", "contacts:contact_delete", {"pk": "pk"}),
            Op("POST", "contacts:identifier_add", {"pk": "pk"}, {"type": "email", "value": "new@example.com"}),
            Op("POST", "contacts:contact_tag_add", {"pk": "pk"}, {"names": "vip"}),
            Op("POST", "contacts:contact_unsubscribe", {"pk": "pk"}),
            Op("POST", "contacts:contact_resubscribe", {"pk": "pk"}),
            Op("POST", "contacts:subscription_add", {"pk": "pk"}, {"channel": "sms"}),
            Op(
                "POST",
                "contacts:contact_segment_add",
                {"pk": "pk"},
                lambda contact, account: {"segment": _own_segment(account)},
            ),
            Op("GET", "contact", {"pk": "pk"}, api=True),
            Op("PUT", "contact", {"pk": "pk"}, CONTACT_FORM, api=True),
            Op("DELETE", "contact", {"pk": "pk"}, api=True),
            Op("GET", "contact-identifiers", {"pk": "pk"}, api=True),
            Op("POST", "contact-identifiers", {"pk": "pk"}, {"type": "email", "value": "new@example.com"}, api=True),
            Op("GET", "contact-subscriptions", {"pk": "pk"}, api=True),
            Op("POST", "contact-subscriptions", {"pk": "pk"}, [{"channel": "sms"}], api=True),
            Op("POST", "contact-unsubscribe", {"pk": "pk"}, api=True),
            Op("POST", "contact-resubscribe", {"pk": "pk"}, api=True),
            # Merging another account's contact into mine: no such contact (a 422), nothing merged.
            Op(
                "POST",
                "contacts-merge",
                data=lambda contact, account: {"origin": contact.pk, "destination": _own_contact(account)},
                api=True,
                lookup="filter",
                changes=True,
            ),
        ),
        listings=(Listing("contacts:contact_list"), Listing("contacts", api=True)),
    )
)


def _identifier(account, marker):
    contact = _contact(account)
    return identifiers.add_identifier(contact=contact, data={"type": "email", "value": f"{marker}@example.com"})


register(
    Case(
        Identifier,
        _identifier,
        marker=lambda identifier: identifier.value,
        ops=(
            Op("POST", "contacts:identifier_delete", {"pk": "contact_id", "iid": "pk"}),
            # My contact, their identifier.
            Op("POST", "contacts:identifier_delete", {"pk": own(_own_contact, "contact_id"), "iid": "pk"}),
            Op("GET", "contact-identifier", {"pk": "contact_id", "iid": "pk"}, api=True),
            Op("PUT", "contact-identifier", {"pk": own(_own_contact, "contact_id"), "iid": "pk"}, {}, api=True),
            Op("DELETE", "contact-identifier", {"pk": own(_own_contact, "contact_id"), "iid": "pk"}, api=True),
            Op("GET", "contact-identifier", {"pk": own(_own_contact, "contact_id"), "iid": "pk"}, api=True),
        ),
        listings=(Listing("contacts-identifiers", api=True),),
    )
)

register(
    Case(
        Tag,
        lambda account, marker: tags.create_tag(account=account, data={"name": marker}),
        ops=(
            Op("GET", "contacts:tag_edit", {"pk": "pk"}),
            Op("POST", "contacts:tag_edit", {"pk": "pk"}, {"name": "renamed"}),
            Op("POST", "contacts:tag_delete", {"pk": "pk"}),
            Op("POST", "contacts:contact_tag_remove", {"pk": own(_own_contact), "tag_id": "pk"}),
            Op("GET", "contacts-tag", {"pk": "pk"}, api=True),
            Op("PUT", "contacts-tag", {"pk": "pk"}, {"name": "renamed"}, api=True),
            Op("DELETE", "contacts-tag", {"pk": "pk"}, api=True),
        ),
        listings=(Listing("contacts:tag_list"), Listing("contacts-tags", api=True)),
    )
)


def _segment(account, marker):
    member = _contact(account)
    return segments.create_segment(account=account, data={"name": marker, "type": "static", "members": [member.pk]})


register(
    Case(
        Segment,
        _segment,
        ops=(
            Op("GET", "contacts:segment_detail", {"pk": "pk"}),
            Op("GET", "contacts:segment_edit", {"pk": "pk"}),
            Op("POST", "contacts:segment_edit", {"pk": "pk"}, {"name": "renamed", "type": "static"}),
            Op("POST", "contacts:segment_delete", {"pk": "pk"}),
            Op("POST", "contacts:segment_member_remove", {"pk": "pk", "contact_id": own(_own_contact)}),
            Op("POST", "contacts:segment_count", data=lambda s, account: {"segment": s.pk, "type": "static"}),
            Op("POST", "contacts:contact_segment_add", {"pk": own(_own_contact)}, lambda s, account: {"segment": s.pk}),
            Op("POST", "contacts:contact_segment_remove", {"pk": own(_own_contact), "segment_id": "pk"}),
            Op("GET", "contacts-segment", {"pk": "pk"}, api=True),
            Op("PUT", "contacts-segment", {"pk": "pk"}, {"name": "renamed"}, api=True),
            Op("DELETE", "contacts-segment", {"pk": "pk"}, api=True),
            Op("GET", "contacts-segment-members", {"pk": "pk"}, api=True),
        ),
        listings=(Listing("contacts:segment_list"), Listing("contacts-segments", api=True)),
    )
)


def _subscription(account, marker):
    contact = _contact(account, marker)
    identifier = contact.identifiers.get()
    items = [{"channel": "sms", "identifier_id": identifier.pk}]
    return subscriptions.create_subscriptions(contact=contact, items=items)[0]


_MY_CONTACT = own(_own_contact, "contact_id")

register(
    Case(
        Subscription,
        _subscription,
        name="contacts.Subscription",
        marker=lambda sub: sub.identifier.value,
        ops=(
            Op("POST", "contacts:contact_unsubscribe", {"pk": _MY_CONTACT}, lambda s, a: {"subscription": s.pk}),
            Op("POST", "contacts:contact_resubscribe", {"pk": _MY_CONTACT}, lambda s, a: {"subscription": s.pk}),
            Op("GET", "contact-subscription", {"pk": "contact_id", "sid": "pk"}, api=True),
            Op("GET", "contact-subscription", {"pk": _MY_CONTACT, "sid": "pk"}, api=True),
            Op("PUT", "contact-subscription", {"pk": _MY_CONTACT, "sid": "pk"}, {"channel": "sms"}, api=True),
            Op("DELETE", "contact-subscription", {"pk": _MY_CONTACT, "sid": "pk"}, api=True),
            Op("POST", "contact-unsubscribe-one", {"pk": _MY_CONTACT, "sid": "pk"}, api=True),
            Op("POST", "contact-resubscribe-one", {"pk": _MY_CONTACT, "sid": "pk"}, api=True),
        ),
        listings=(Listing("contacts-subscriptions", api=True),),
    )
)


def _import(account, marker):
    upload = SimpleUploadedFile(f"{marker}.csv", b"phone\n+919876543210\n", content_type="text/csv")
    return imports.create_import(account=account, upload=upload)


register(
    Case(
        ContactImport,
        _import,
        marker=lambda job: job.filename,
        ops=(
            Op("GET", "contact_imports:import_detail", {"pk": "pk"}),
            Op("POST", "contact_imports:import_header", {"pk": "pk"}, {"has_header": "1"}),
            Op("POST", "contact_imports:import_start", {"pk": "pk"}, {"column_0": "phone"}),
            Op("GET", "contact_imports:import_progress", {"pk": "pk"}),
            Op("POST", "contact_imports:import_cancel", {"pk": "pk"}),
            Op("POST", "contact_imports:import_delete", {"pk": "pk"}),
            Op("GET", "contact_imports:import_report", {"pk": "pk"}),
            Op("GET", "contacts-import", {"pk": "pk"}, api=True),
            Op("DELETE", "contacts-import", {"pk": "pk"}, api=True),
        ),
        listings=(Listing("contact_imports:import_list"), Listing("contacts-imports", api=True)),
    )
)
