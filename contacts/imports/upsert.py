"""Writing one chunk of validated import records: match each to an existing contact by identity
or identifier, create the new ones, update the changed ones, add identifiers and tags. A chunk
costs a fixed number of queries whatever its size (PostgreSQL: COPY for the inserts)."""

import json
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from contacts.imports.mapping import MATCH_ORDER, PROFILE_NAMES
from contacts.models import Contact, ContactTag, Identifier, Tag
from portal.bulk import copy_insert, copy_rows, copy_update, next_ids

CONTACT_COLUMNS = ["id", "account_id", "identity", *PROFILE_NAMES, "attributes"]


@dataclass
class ChunkResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0  # rows matching a contact that already had every value
    skipped: list = field(default_factory=list)  # (row, reason): duplicates and races, reported


class ChunkWriter:
    """Holds what stays valid across chunks of one job (the account's tag ids)."""

    def __init__(self, *, account_id, mapping, replace_tags=False, extra_tags=()):
        self.account_id = account_id
        self.profile_fields = [f for f in PROFILE_NAMES if f in mapping]
        self.has_tags = "tags" in mapping
        self.replace_tags = replace_tags and self.has_tags
        self.extra_tags = list(extra_tags)
        self.tag_ids = {}
        self.postgres = connection.vendor == "postgresql"

    # -- matching ---------------------------------------------------------------------------

    def _dedupe(self, records, result):
        claimed, kept = {}, []
        for record in records:
            keys = [("identity", record.identity), *record.identifiers.items()]
            first = next((claimed[k] for k in keys if k in claimed), None)
            if first is not None:
                result.skipped.append((record.row, f"Duplicate of row {first} in this file."))
                continue
            for key in keys:
                claimed[key] = record.row
            kept.append(record)
        return kept

    def _match(self, records):
        """contact id per record (None = new), and the identifier values already taken."""
        identities = [r.identity for r in records]
        values_by_kind = {k: [r.identifiers[k] for r in records if k in r.identifiers] for k in MATCH_ORDER}
        if self.postgres:
            by_identity, taken = self._lookup_postgres(identities, values_by_kind)
        else:
            scope = Contact.objects.filter(account_id=self.account_id)
            by_identity = dict(scope.filter(identity__in=identities).values_list("identity", "id"))
            taken = {
                kind: dict(
                    Identifier.objects.filter(account_id=self.account_id, type=kind, value__in=values).values_list(
                        "value", "contact_id"
                    )
                )
                for kind, values in values_by_kind.items()
                if values
            }
        matches = []
        for record in records:
            contact_id = by_identity.get(record.identity)
            if contact_id is None:
                contact_id = next(
                    (
                        taken[k][record.identifiers[k]]
                        for k in MATCH_ORDER
                        if record.identifiers.get(k) in taken.get(k, {})
                    ),
                    None,
                )
            matches.append(contact_id)
        return matches, taken

    def _lookup_postgres(self, identities, values_by_kind):
        """One array parameter per lookup (`= ANY(%s)`) instead of thousands of placeholders: the
        query is converted and planned in constant time and served by the unique indexes."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT identity, id FROM {Contact._meta.db_table} WHERE account_id = %s AND identity = ANY(%s)",  # noqa: S608
                [self.account_id, identities],
            )
            by_identity = dict(cursor.fetchall())
            taken = {}
            for kind, values in values_by_kind.items():
                if values:
                    cursor.execute(
                        f"SELECT value, contact_id FROM {Identifier._meta.db_table} "  # noqa: S608
                        "WHERE account_id = %s AND type = %s AND value = ANY(%s)",
                        [self.account_id, kind, values],
                    )
                    taken[kind] = dict(cursor.fetchall())
        return by_identity, taken

    # -- tags -------------------------------------------------------------------------------

    def _tag_ids(self, names):
        missing = [n for n in names if n not in self.tag_ids]
        if missing:
            existing = Tag.objects.filter(account_id=self.account_id, name__in=missing).values_list("name", "id")
            self.tag_ids.update(existing)
            new = [n for n in missing if n not in self.tag_ids]
            if new:
                Tag.objects.bulk_create([Tag(account_id=self.account_id, name=n) for n in new], ignore_conflicts=True)
                self.tag_ids.update(
                    Tag.objects.filter(account_id=self.account_id, name__in=new).values_list("name", "id")
                )
        return [self.tag_ids[n] for n in names if n in self.tag_ids]

    # -- writing ----------------------------------------------------------------------------

    def write(self, records):
        result = ChunkResult()
        records = self._dedupe(records, result)
        if not records:
            return result
        matches, taken = self._match(records)
        new = [r for r, cid in zip(records, matches, strict=True) if cid is None]
        existing = [(r, cid) for r, cid in zip(records, matches, strict=True) if cid is not None]

        new_ids = self._insert_contacts(new, result)
        identifiers = []  # (contact_id, type, value)
        links = []  # (contact_id, tag_id)
        for record in new:
            contact_id = new_ids.get(record.identity)
            if contact_id is None:
                continue
            identifiers += [(contact_id, k, v) for k, v in record.identifiers.items() if v not in taken.get(k, {})]
            links += [(contact_id, t) for t in self._tag_ids([*record.tags, *self.extra_tags])]
        result.added = len(new_ids)

        changed = self._update_existing(existing, taken, identifiers, links)
        result.updated = len(changed)
        result.unchanged = sum(1 for _, contact_id in existing if contact_id not in changed)
        self._insert_identifiers(identifiers)
        self._insert_links(links)
        return result

    def _contact_row(self, record):
        return [record.profile.get(f) for f in PROFILE_NAMES]

    def _insert_contacts(self, records, result):
        """identity -> new contact id for the contacts actually created."""
        if not records:
            return {}
        if self.postgres:
            ids = next_ids(Contact._meta.db_table, len(records))
            now = timezone.now()
            rows = [
                (pk, self.account_id, r.identity, *self._contact_row(r), json.dumps(r.attributes))
                for pk, r in zip(ids, records, strict=True)
            ]
            table = Contact._meta.db_table
            if copy_rows(table, [*CONTACT_COLUMNS, "created_at", "updated_at"], [(*r, now, now) for r in rows]):
                return {r.identity: pk for pk, r in zip(ids, records, strict=True)}
            inserted = copy_insert(
                Contact._meta.db_table,
                CONTACT_COLUMNS,
                rows,
                defaults={"created_at": "now()", "updated_at": "now()"},
                returning="id",
            )
            made = {pk for (pk,) in inserted}
            by_id = dict(zip(ids, records, strict=True))
            for pk, record in by_id.items():
                if pk not in made:  # created meanwhile by another writer
                    result.skipped.append((record.row, "Created by another import at the same time."))
            return {by_id[pk].identity: pk for pk in made}
        objs = Contact.objects.bulk_create(
            [
                Contact(
                    account_id=self.account_id,
                    identity=r.identity,
                    attributes=r.attributes,
                    **{f: r.profile.get(f) for f in PROFILE_NAMES},
                )
                for r in records
            ]
        )
        return {c.identity: c.pk for c in objs}

    def _update_existing(self, existing, taken, identifiers, links):
        """Apply the rows that match contacts; returns the ids of contacts that changed."""
        if not existing:
            return set()
        ids = [cid for _, cid in existing]
        fields = [*self.profile_fields, "attributes"]
        current = {c.pk: c for c in Contact.objects.filter(pk__in=ids).only("id", *fields)}
        current_links = {}
        if self.has_tags or self.extra_tags:
            for contact_id, tag_id in ContactTag.objects.filter(contact_id__in=ids).values_list("contact_id", "tag_id"):
                current_links.setdefault(contact_id, set()).add(tag_id)
        changed, dirty, drop = set(), [], []
        now = timezone.now()
        for record, contact_id in existing:
            contact = current.get(contact_id)
            if contact is None:
                continue
            touched = False
            for name, value in record.profile.items():
                if getattr(contact, name) != value:
                    setattr(contact, name, value)
                    touched = True
            if record.attributes:
                merged = {**(contact.attributes or {}), **record.attributes}
                if merged != contact.attributes:
                    contact.attributes = merged
                    touched = True
            if touched:
                contact.updated_at = now
                dirty.append(contact)
            for kind, value in record.identifiers.items():
                if value not in taken.get(kind, {}):
                    identifiers.append((contact_id, kind, value))
                    touched = True
            wanted = self._tag_ids([*record.tags, *self.extra_tags])
            has = current_links.get(contact_id, set())
            for tag_id in wanted:
                if tag_id not in has:
                    links.append((contact_id, tag_id))
                    touched = True
            if self.replace_tags:
                stale = [t for t in has if t not in wanted]
                if stale:
                    drop.append((contact_id, stale))
                    touched = True
            if touched:
                changed.add(contact_id)
        if dirty and self.postgres:
            columns = [*fields, "updated_at"]
            rows = (
                [c.pk, *(json.dumps(c.attributes) if f == "attributes" else getattr(c, f) for f in columns)]
                for c in dirty
            )
            copy_update(Contact._meta.db_table, "id", columns, rows)
        elif dirty:
            Contact.objects.bulk_update(dirty, [*fields, "updated_at"], batch_size=1000)
        for contact_id, stale in drop:
            ContactTag.objects.filter(contact_id=contact_id, tag_id__in=stale).delete()
        return changed

    def _insert_identifiers(self, identifiers):
        if not identifiers:
            return
        if self.postgres:
            now = timezone.now()
            columns = ["account_id", "contact_id", "type", "value"]
            rows = [(self.account_id, *row) for row in identifiers]
            if not copy_rows(
                Identifier._meta.db_table, [*columns, "created_at", "updated_at"], [(*r, now, now) for r in rows]
            ):
                copy_insert(
                    Identifier._meta.db_table, columns, rows, defaults={"created_at": "now()", "updated_at": "now()"}
                )
            return
        Identifier.objects.bulk_create(
            [Identifier(account_id=self.account_id, contact_id=c, type=t, value=v) for c, t, v in identifiers],
            ignore_conflicts=True,
        )

    def _insert_links(self, links):
        if not links:
            return
        if self.postgres:
            now = timezone.now()
            table = ContactTag._meta.db_table
            if not copy_rows(table, ["contact_id", "tag_id", "created_at"], [(*link, now) for link in links]):
                copy_insert(table, ["contact_id", "tag_id"], links, defaults={"created_at": "now()"})
            return
        ContactTag.objects.bulk_create([ContactTag(contact_id=c, tag_id=t) for c, t in links], ignore_conflicts=True)
