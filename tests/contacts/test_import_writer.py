"""The import's chunk writer on its own: hand-formatted COPY text, and the checks it makes itself
now that contacts, identifiers and tag links carry no database foreign-key constraint."""

import pytest
from django.db import connection

from contacts.imports.mapping import parse_row
from contacts.imports.upsert import GONE, ChunkWriter
from contacts.models import Contact, ContactTag, Identifier, Tag
from contacts.services import contacts as contact_services
from contacts.services import tags as tag_services
from tests.contacts.import_helpers import csv_upload, run_upload

pytestmark = pytest.mark.django_db

MAPPING = ["phone", "email", "first_name", "city", "tags", "attr:note"]


def _records(*rows):
    return [parse_row(n, cells, MAPPING) for n, cells in enumerate(rows, start=2)]


def test_values_needing_copy_escapes_are_stored_exactly(account, django_capture_on_commit_callbacks):
    name = "Back\\slash\tTab"
    note = 'He said "hi" \\ bye\nnext line'
    text = (
        "mobile,email,first_name,city,tags,note\n"
        f'919800000001,a\\b@example.com,"{name}",Pune,"vip",'
        + '"'
        + note.replace('"', '""')
        + '"\n'
        + "919800000002,,Plain,Île-de-France,x|y,ça va\n"
    )
    job = run_upload(account, csv_upload(text), capture=django_capture_on_commit_callbacks)
    assert (job.added, job.invalid) == (2, 0), list(job.rows.values_list("reason", flat=True))
    first = Contact.objects.get(account=account, identity="919800000001")
    assert first.first_name == name
    assert first.attributes == {"note": note}
    assert set(first.identifiers.values_list("type", "value")) == {
        ("phone", "919800000001"),
        ("email", "a\\b@example.com"),
    }
    second = Contact.objects.get(account=account, identity="919800000002")
    assert (second.city, second.attributes) == ("Île-de-France", {"note": "ça va"})
    assert sorted(second.tags.values_list("name", flat=True)) == ["x", "y"]
    # The update path (a COPYed staging table) keeps them as well.
    again = f'mobile,city,note\n919800000001,"Tab\there","{note.replace(chr(34), chr(34) * 2)}!"\n'
    job = run_upload(account, csv_upload(again), capture=django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert (job.updated, first.city, first.attributes) == (1, "Tab\there", {"note": note + "!"})


def test_no_foreign_key_constraints_but_deletes_still_cascade(account):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ContactTag._meta.db_table)
    assert not [c for c in constraints.values() if c["foreign_key"]]
    contact = contact_services.create_contact(account=account, data={"identity": "c1", "phone": "919800000003"})
    tag_services.add_contact_tags(contact=contact, names=["vip"])
    assert Identifier.objects.filter(contact=contact).exists() and ContactTag.objects.filter(contact=contact).exists()
    contact_services.delete_contact(contact=contact)
    assert not Identifier.objects.filter(contact_id=contact.pk).exists()
    assert not ContactTag.objects.filter(contact_id=contact.pk).exists()
    tag = Tag.objects.get(account=account, name="vip")
    ContactTag.objects.create(
        contact=contact_services.create_contact(account=account, data={"identity": "c2", "phone": "919800000009"}),
        tag=tag,
    )
    tag_services.delete_tag(tag=tag)
    assert not ContactTag.objects.filter(tag_id=tag.pk).exists()


def test_a_contact_deleted_after_the_match_is_skipped_without_orphans(account, monkeypatch):
    writer = ChunkWriter(account_id=account.pk, mapping=MAPPING)
    writer.write(_records(["919800000004", "", "Old", "", "vip", ""]))
    contact = Contact.objects.get(account=account, identity="919800000004")
    match = ChunkWriter._match

    def match_then_delete(self, records):
        found = match(self, records)
        Contact.objects.filter(pk=contact.pk).delete()  # a delete or merge committing in between
        return found

    monkeypatch.setattr(ChunkWriter, "_match", match_then_delete)
    result = writer.write(_records(["919800000004", "new@example.com", "New", "Pune", "gold", "x"]))
    assert (result.added, result.updated, result.unchanged) == (0, 0, 0)
    assert result.skipped == [(2, GONE)]
    assert not Identifier.objects.filter(contact_id=contact.pk).exists()
    assert not ContactTag.objects.filter(contact_id=contact.pk).exists()


def test_a_tag_deleted_between_chunks_is_made_again_not_linked_dangling(account):
    writer = ChunkWriter(account_id=account.pk, mapping=MAPPING)
    writer.write(_records(["919800000005", "", "A", "", "vip", ""]))
    old = Tag.objects.get(account=account, name="vip")
    tag_services.delete_tag(tag=old)
    writer.write(_records(["919800000006", "", "B", "", "vip", ""]))
    tag = Tag.objects.get(account=account, name="vip")
    assert tag.pk != old.pk
    assert not ContactTag.objects.filter(tag_id=old.pk).exists()
    assert list(tag.contacts.values_list("identity", flat=True)) == ["919800000006"]


def test_a_value_holding_a_line_break_is_still_matched(account, django_capture_on_commit_callbacks):
    text = 'custom,first_name\n"line\nbreak",One\n'
    first = run_upload(account, csv_upload(text), capture=django_capture_on_commit_callbacks)
    again = run_upload(account, csv_upload(text.replace("One", "Two")), capture=django_capture_on_commit_callbacks)
    assert (first.added, again.added, again.updated) == (1, 0, 1)
    assert Contact.objects.get(account=account, identity="line\nbreak").first_name == "Two"
