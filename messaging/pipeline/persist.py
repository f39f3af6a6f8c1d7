"""Writing a batch's message rows (PostgreSQL COPY for big batches, plain INSERTs otherwise) and
its recipients refused before pricing (a few compact RefusedNumbers rows)."""

import functools
import json
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from psycopg.copy import QueuedLibpqWriter

from messaging.operators.lookup import operators
from messaging.operators.lookup import resolver as operator_resolver
from messaging.pipeline.models import Message, RefusedNumbers
from portal.core.bulk import copy_escape

COPY_FROM = 500  # rows; below this an INSERT is as quick and works on every database


def streams(count):
    """Whether a batch of `count` messages is written by COPY: its rows can then be handed to
    `messages()` as an iterator, made while the server takes the earlier ones."""
    return connection.vendor == "postgresql" and count > COPY_FROM


def messages(adapter, batch, rows, *, now, priority, product_code, numbers=None):
    """Write `rows` (tuples in `adapter.columns` order) with the columns every message shares,
    and each number's operator (messaging.operators) after the channel's columns. `rows` is a
    list, or an iterator for a batch that `streams()`: it is consumed during the COPY, so nothing
    may query while it runs (`numbers`, the batch's distinct numbers, lets the ported ones be read
    before it starts). Returns the (columns, rows) written, operator included, for the rollups."""
    if isinstance(rows, list):
        return messages_many([Rows(adapter, batch, rows, now, priority, product_code)])[0]
    columns, written = adapter.columns, []
    if "mobile" in columns and "iso" in columns:
        mobile, iso = columns.index("mobile"), columns.index("iso")
        operator = operator_resolver(numbers if numbers is not None else ())
        rows = _with_operator(rows, mobile, iso, operator, written)
        columns = (*columns, "operator")
    else:
        rows = _kept(rows, written)
    common = _common(columns, Rows(adapter, batch, None, now, priority, product_code))
    # A writer thread sends while this one scrubs and formats: the server parses and indexes one
    # block as the next is made. An exception from the rows aborts the COPY (psycopg sends COPY
    # FAIL), and the caller's transaction rolls everything back.
    _copy(adapter, columns, rows, common)
    return columns, written


def _with_operator(rows, mobile, iso, operator, written):
    for row in rows:
        row = (*row, operator(row[mobile], row[iso]))
        written.append(row)
        yield row


def _kept(rows, written):
    for row in rows:
        written.append(row)
        yield row


class Rows(NamedTuple):
    """One batch's message rows for `messages_many`: `messages()`'s arguments."""

    adapter: object
    batch: object
    rows: list
    now: object
    priority: int
    product_code: str


def messages_many(parts):
    """`messages()` for several batches (sends committed together): the small ones are written
    together (per channel; one COPY on PostgreSQL, else one multi-row INSERT), a large one with
    its own COPY.
    Returns each part's (columns, rows) written, in order."""
    written, small = [], {}
    for part in parts:
        columns, rows, common = _with_common(part)
        written.append((columns, rows))
        if connection.vendor == "postgresql" and len(rows) > COPY_FROM:
            _copy(part.adapter, columns, rows, common)
        else:
            names = (*columns, *common)
            tail = tuple(common.values())
            small.setdefault(names, []).extend((*row, *tail) for row in rows)
    for names, full_rows in small.items():
        if connection.vendor == "postgresql":
            copy_rows(names, full_rows)
        else:
            insert(names, full_rows)
    return written


def copy_rows(names, rows):
    """Full rows (tuples in `names` order) by one COPY: the sends of a group together. On
    PostgreSQL this is cheaper than the multi-row INSERT even for a few rows, as no value goes
    through its field's preparation and no statement of a thousand placeholders is parsed."""
    statement = f"COPY sending_message ({', '.join(names)}) FROM STDIN"  # noqa: S608 - model column names
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for block in copy_text(rows, ()):
            copy.write(block)


def _with_common(part):
    """A part's (columns, rows) with the operator added, and the values every row shares."""
    adapter, rows = part.adapter, part.rows
    columns = adapter.columns
    if "mobile" in columns and "iso" in columns:
        mobile, iso = columns.index("mobile"), columns.index("iso")
        names = operators([(row[mobile], row[iso]) for row in rows])
        rows = [(*row, name) for row, name in zip(rows, names, strict=True)]
        columns = (*columns, "operator")
    return columns, rows, _common(columns, part)


def _common(columns, part):
    """The values every row of a part shares, after the channel's `columns`."""
    adapter, batch = part.adapter, part.batch
    common = {
        "batch_id": batch.pk,
        "account_id": batch.account_id,
        "product_code": part.product_code,
        "channel": adapter.name,
        "priority": part.priority,
        "scheduled_at": batch.scheduled_at,
        "submitted_at": part.now,
        "updated_at": part.now,
        "supplier": "",
        "supplier_message_id": "",
    }
    for field in _defaulted(columns, tuple(common)):  # what the channel leaves out
        common[field.attname] = field.get_default()
    return common


def _copy(adapter, columns, rows, common):
    names = [*columns, *common]
    blocks = adapter.copy_text(rows, tuple(common.values()))
    if blocks is None:
        blocks = copy_text(rows, tuple(common.values()))
    # A writer thread sends while this one formats (and, for a stream, scrubs): the server
    # parses one block as the next is built.
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY sending_message ({', '.join(names)}) FROM STDIN",  # noqa: S608 - fixed column names
            writer=QueuedLibpqWriter(cursor.cursor),
        ) as copy,
    ):
        for block in blocks:
            copy.write(block)


INSERT_CHUNK = 100  # rows per INSERT statement: well inside every database's parameter limit


@functools.cache
def _defaulted(columns, common):
    """Fields neither the channel nor the pipeline fills and the database has no default for:
    every row gets the field's Python-side default ("" for text, None, `default=`), as the ORM
    would give it."""
    given = {*columns, *common}
    return tuple(
        f
        for f in Message._meta.concrete_fields
        if f.attname not in given and not f.primary_key and not f.has_db_default()
    )


@functools.cache
def _fields(columns):
    return tuple(Message._meta.get_field(name) for name in columns)


def insert(names, rows):
    """A plain multi-row INSERT of full rows (tuples in `names` order), each value prepared by its
    model field as the ORM would. A push writes one row inside the transaction that holds the
    wallet's row lock: building model instances and reading back database defaults (what
    `bulk_create` does) only lengthens it."""
    fields = _fields(names)
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    head = f"INSERT INTO {Message._meta.db_table} ({quoted}) VALUES "  # noqa: S608 - model column names
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            params = []
            for row in chunk:
                params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
            cursor.execute(head + ", ".join([placeholders] * len(chunk)), params)


def copy_value(value):
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return copy_escape(json.dumps(value))
    return copy_escape(value)


def copy_text(rows, tail, *, block=1 << 20):
    """Any channel's rows in COPY text format, in blocks of about `block` characters (channels
    with a hot bulk path format their own, field by field; see the SMS adapter)."""
    end = ("\t" + "\t".join(map(copy_value, tail)) + "\n") if tail else "\n"
    lines, size = [], 0
    for row in rows:
        line = "\t".join(map(copy_value, row)) + end
        lines.append(line)
        size += len(line)
        if size >= block:
            yield "".join(lines)
            lines, size = [], 0
    if lines:
        yield "".join(lines)


def refused(batch, entries, *, now, product_code):
    """Store `entries` (quote's `unpriced` tuples, in request order) as RefusedNumbers rows: one per
    reason and content, CHUNK entries at most. 100,000 refused numbers are ten rows, not 100,000."""
    records = refused_records(batch, entries, now=now, product_code=product_code)
    if records:
        RefusedNumbers.objects.bulk_create(records)


def refused_records(batch, entries, *, now, product_code):
    """The RefusedNumbers rows `refused()` writes, unsaved (sends committed together write all
    of theirs with one INSERT)."""
    groups = {}
    for index, mobile, iso, custom, sender, units, length, status, code in entries:
        groups.setdefault((status, code, sender, units, length), []).append((index, mobile, iso, custom))
    records = []
    for (status, code, sender, units, length), members in groups.items():
        for start in range(0, len(members), RefusedNumbers.CHUNK):
            chunk = members[start : start + RefusedNumbers.CHUNK]
            indexes, mobiles, isos, customs = (list(column) for column in zip(*chunk, strict=True))
            records.append(
                RefusedNumbers(
                    batch_id=batch.pk,
                    account_id=batch.account_id,
                    status=status,
                    status_code=code,
                    sender=sender,
                    product_code=product_code,
                    units=units,
                    length=length,
                    submitted_at=now,
                    first_index=indexes[0],
                    last_index=indexes[-1],
                    count=len(chunk),
                    indexes=indexes,
                    mobiles=mobiles,
                    isos=isos if any(isos) else [],
                    customs=customs if any(customs) else [],
                )
            )
    return records
