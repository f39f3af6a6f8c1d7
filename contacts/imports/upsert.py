"""Writing one chunk of validated import records: match each to an existing contact by identity
or identifier, create the new ones, update the changed ones, add identifiers and tags. A chunk
costs a fixed number of queries whatever its size (PostgreSQL: COPY for the inserts)."""

import json
import re
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from contacts.imports.mapping import MATCH_ORDER, PROFILE_NAMES
from contacts.models import Contact, ContactTag, Identifier, Tag
from portal.core.bulk import copy_escape, copy_insert, copy_rows, copy_update, next_ids

BLOCK = 1 << 20  # characters of COPY text handed to the connection at a time
GONE = "The contact was deleted or merged while the file was imported."
_JSON_PLAIN = re.compile(r'[^"\\\x00-\x1f]*').fullmatch  # text JSON and COPY both take as it is


def _attributes_text(attributes):
    """`attributes` as JSON in COPY's text format; the usual flat {key: text} without quotes,
    backslashes or control characters is written by hand (json.dumps costs more than the rest of
    the row)."""
    if not attributes:
        return "{}"
    if all(isinstance(v, str) and _JSON_PLAIN(v) and _JSON_PLAIN(k) for k, v in attributes.items()):
        return "{" + ", ".join([f'"{k}": "{v}"' for k, v in attributes.items()]) + "}"
    return copy_escape(json.dumps(attributes))


def _array(values):
    """SQL and parameter for a text array: one newline-joined string split by PostgreSQL, which
    the driver passes as it is instead of adapting every element; a list holding a newline goes
    as an array."""
    joined = "\n".join(values)
    if joined.count("\n") == len(values) - 1:
        return "string_to_array(%s, E'\\n')", joined
    return "CAST(%s AS text[])", values


def _blocks(lines):
    """Join formatted COPY lines into blocks of about BLOCK characters."""
    block, size = [], 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= BLOCK:
            yield "".join(block)
            block, size = [], 0
    if block:
        yield "".join(block)


@dataclass
class ChunkResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0  # rows matching a contact that already had every value
    skipped: list = field(default_factory=list)  # (row, reason): duplicates and races, reported


@dataclass
class Batch:
    """A chunk's records ready for writing: in-file duplicates dropped (and listed)."""

    records: list
    skipped: list


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
        self.contact_columns = ["id", "account_id", "identity", *self.profile_fields, "attributes"]

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
        values_by_kind = {}
        for record in records:
            for kind, value in record.identifiers.items():
                values_by_kind.setdefault(kind, []).append(value)
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
        # Only the kinds with a value already taken can match (none, on a fresh import), in MATCH_ORDER.
        kinds = [(k, taken[k]) for k in MATCH_ORDER if taken.get(k)]
        matches = []
        for record in records:
            contact_id = by_identity.get(record.identity)
            if contact_id is None and kinds:
                values = record.identifiers
                for kind, owners in kinds:
                    contact_id = owners.get(values.get(kind))
                    if contact_id is not None:
                        break
            matches.append(contact_id)
        return matches, taken

    def _lookup_postgres(self, identities, values_by_kind):
        """One index probe per value, whatever the table's statistics say: a plain `= ANY(array)`
        is planned from them, and while an import grows the account from nothing they are stale —
        PostgreSQL then reads every contact of the account per chunk (measured: half of a
        million-row import). A LATERAL subquery with LIMIT is always a nested loop over the
        unique index. The values go as one text parameter (see _array)."""
        with connection.cursor() as cursor:
            sql, param = _array(identities)
            cursor.execute(
                f"SELECT v.k, c.id FROM unnest({sql}) AS v(k) CROSS JOIN LATERAL "  # noqa: S608
                f"(SELECT id FROM {Contact._meta.db_table} WHERE account_id = %s AND identity = v.k LIMIT 1) c",
                [param, self.account_id],
            )
            by_identity = dict(cursor.fetchall())
            taken = {}
            for kind, values in values_by_kind.items():
                if values:
                    sql, param = _array(values)
                    cursor.execute(
                        f"SELECT v.k, i.contact_id FROM unnest({sql}) AS v(k) CROSS JOIN LATERAL "  # noqa: S608
                        f"(SELECT contact_id FROM {Identifier._meta.db_table} "
                        "WHERE account_id = %s AND type = %s AND value = v.k LIMIT 1) i",
                        [param, self.account_id, kind],
                    )
                    taken[kind] = dict(cursor.fetchall())
        return by_identity, taken

    # -- tags -------------------------------------------------------------------------------

    def _tag_ids(self, names):
        missing = [n for n in names if n not in self.tag_ids]
        if missing:
            self.tag_ids.update(self._find_tags(missing))
            new = [n for n in missing if n not in self.tag_ids]
            if new:
                Tag.objects.bulk_create([Tag(account_id=self.account_id, name=n) for n in new], ignore_conflicts=True)
                self.tag_ids.update(self._find_tags(new))
        return [self.tag_ids[n] for n in names if n in self.tag_ids]

    def _find_tags(self, names):
        """(name, id) of the account's tags with these names. On PostgreSQL the rows are locked
        FOR KEY SHARE until the chunk commits, as a foreign-key check would (the link table has
        none, see docs/contacts.md): a tag cannot be deleted under the links this chunk writes."""
        if not self.postgres:
            return Tag.objects.filter(account_id=self.account_id, name__in=names).values_list("name", "id")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT name, id FROM {Tag._meta.db_table} WHERE account_id = %s AND name = ANY(%s) "  # noqa: S608
                "ORDER BY id FOR KEY SHARE",
                [self.account_id, list(names)],
            )
            return cursor.fetchall()

    def _lock_cached_tags(self):
        """Tags remembered from earlier chunks are locked again for this one; one deleted since is
        forgotten (and made again if a row still names it). SQLite needs no lock (one writer at a
        time) but the same re-check: its link table has no constraint either."""
        if self.tag_ids:
            self.tag_ids = dict(self._find_tags(list(self.tag_ids)))

    def _tags_of(self, record):
        """The tag ids a record links to: its own and the job's."""
        return self._tag_ids([*record.tags, *self.extra_tags])

    # -- writing ----------------------------------------------------------------------------

    def prepare(self, records):
        """The half of a chunk that needs no database (the import runs it in its parsing thread,
        beside the previous chunk's writes)."""
        result = ChunkResult()
        return Batch(self._dedupe(records, result), result.skipped)

    def write(self, records):
        """Write a chunk (a Batch, or the records themselves); returns its ChunkResult."""
        batch = records if isinstance(records, Batch) else self.prepare(records)
        result = ChunkResult(skipped=list(batch.skipped))
        records = batch.records
        if not records:
            return result
        self._lock_cached_tags()
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
            links += [(contact_id, t) for t in self._tags_of(record)]
        result.added = len(new_ids)

        changed, gone = self._update_existing(existing, taken, identifiers, links)
        result.updated = len(changed)
        result.unchanged = sum(1 for _, contact_id in existing if contact_id not in changed and contact_id not in gone)
        result.skipped += [(record.row, GONE) for record, contact_id in existing if contact_id in gone]
        self._insert_identifiers(identifiers)
        self._insert_links(links)
        return result

    def _contact_row(self, record):
        return [record.profile.get(f) for f in self.profile_fields]

    def _contact_lines(self, ids, records, now):
        head = f"\t{self.account_id}\t"
        tail = f"\t{now.isoformat()}\t{now.isoformat()}\n"
        fields = self.profile_fields
        for pk, r in zip(ids, records, strict=True):
            profile = "".join(["\t" + copy_escape(r.profile.get(f)) for f in fields])
            yield f"{pk}{head}{copy_escape(r.identity)}{profile}\t{_attributes_text(r.attributes)}{tail}"

    def _insert_contacts(self, records, result):
        """identity -> new contact id for the contacts actually created."""
        if not records:
            return {}
        if self.postgres:
            ids = next_ids(Contact._meta.db_table, len(records))
            table = Contact._meta.db_table
            lines = self._contact_lines(ids, records, timezone.now())
            if copy_rows(table, [*self.contact_columns, "created_at", "updated_at"], _blocks(lines)):
                return {r.identity: pk for pk, r in zip(ids, records, strict=True)}
            rows = [
                (pk, self.account_id, r.identity, *self._contact_row(r), json.dumps(r.attributes))
                for pk, r in zip(ids, records, strict=True)
            ]
            inserted = copy_insert(
                table,
                self.contact_columns,
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
        """Apply the rows that match contacts; returns the ids of contacts that changed and of
        those that no longer exist. Plain values, not model instances: a chunk has thousands."""
        if not existing:
            return set(), set()
        ids = [cid for _, cid in existing]
        fields = [*self.profile_fields, "attributes"]
        current = self._current(ids, fields)
        current_links = self._current_links(ids) if self.has_tags or self.extra_tags else {}
        changed, dirty, drop = set(), [], []
        for record, contact_id in existing:
            values = current.get(contact_id)
            if values is None:  # deleted or merged away after the match
                continue
            touched = False
            for name, value in record.profile.items():
                if values[name] != value:
                    values[name] = value
                    touched = True
            if record.attributes:
                merged = {**(values["attributes"] or {}), **record.attributes}
                if merged != values["attributes"]:
                    values["attributes"] = merged
                    touched = True
            if touched:
                dirty.append((contact_id, values))
            for kind, value in record.identifiers.items():
                if value not in taken.get(kind, {}):
                    identifiers.append((contact_id, kind, value))
                    touched = True
            wanted = self._tags_of(record)
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
        self._save_dirty(dirty, fields)
        for contact_id, stale in drop:
            ContactTag.objects.filter(contact_id=contact_id, tag_id__in=stale).delete()
        return changed, set(ids) - current.keys()

    def _save_dirty(self, dirty, fields):
        if not dirty:
            return
        now = timezone.now()
        if self.postgres:
            rows = (
                [pk, *(json.dumps(values[f]) if f == "attributes" else values[f] for f in fields), now]
                for pk, values in dirty
            )
            copy_update(Contact._meta.db_table, "id", [*fields, "updated_at"], rows)
            return
        contacts = [Contact(pk=pk, updated_at=now, **values) for pk, values in dirty]
        Contact.objects.bulk_update(contacts, [*fields, "updated_at"], batch_size=1000)

    def _current(self, ids, fields):
        """id -> {field: value} of the matched contacts. On PostgreSQL they are locked FOR KEY
        SHARE until the chunk commits, as the foreign-key checks of the identifiers and tag links
        written for them would: a concurrent delete or merge waits, or has already happened and
        the contact is missing here (its rows are reported as skipped)."""
        if not self.postgres:
            return {row.pop("id"): row for row in Contact.objects.filter(pk__in=ids).values("id", *fields)}
        columns = ", ".join(["id", *fields])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {Contact._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",  # noqa: S608
                [ids],
            )
            current = {}
            for pk, *values in cursor.fetchall():
                row = dict(zip(fields, values, strict=True))
                if isinstance(row["attributes"], str):
                    row["attributes"] = json.loads(row["attributes"])
                current[pk] = row
            return current

    def _current_links(self, ids):
        """contact id -> its tag ids."""
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT contact_id, tag_id FROM {ContactTag._meta.db_table} WHERE contact_id = ANY(%s)",  # noqa: S608
                    [ids],
                )
                pairs = cursor.fetchall()
        else:
            pairs = ContactTag.objects.filter(contact_id__in=ids).values_list("contact_id", "tag_id")
        links = {}
        for contact_id, tag_id in pairs:
            links.setdefault(contact_id, set()).add(tag_id)
        return links

    def _insert_identifiers(self, identifiers):
        if not identifiers:
            return
        if self.postgres:
            now = timezone.now().isoformat()
            columns = ["account_id", "contact_id", "type", "value"]
            head, tail = f"{self.account_id}\t", f"\t{now}\t{now}\n"
            lines = (f"{head}{c}\t{t}\t{copy_escape(v)}{tail}" for c, t, v in identifiers)
            if not copy_rows(Identifier._meta.db_table, [*columns, "created_at", "updated_at"], _blocks(lines)):
                rows = [(self.account_id, *row) for row in identifiers]
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
            tail = f"\t{timezone.now().isoformat()}\n"
            table = ContactTag._meta.db_table
            lines = (f"{c}\t{t}{tail}" for c, t in links)
            if not copy_rows(table, ["contact_id", "tag_id", "created_at"], _blocks(lines)):
                copy_insert(table, ["contact_id", "tag_id"], links, defaults={"created_at": "now()"})
            return
        ContactTag.objects.bulk_create([ContactTag(contact_id=c, tag_id=t) for c, t in links], ignore_conflicts=True)
