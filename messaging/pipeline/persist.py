"""Writing a batch's message rows (PostgreSQL COPY for big batches, plain INSERTs otherwise) and
its recipients refused before pricing (a few compact RefusedNumbers rows)."""

import functools
import json
from datetime import datetime

from django.db import connection
from psycopg.copy import QueuedLibpqWriter

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
    columns = adapter.columns
    copy = not isinstance(rows, list) or streams(len(rows))
    written = []
    if "mobile" in columns and "iso" in columns:
        mobile, iso = columns.index("mobile"), columns.index("iso")
        if numbers is None:
            numbers = {row[mobile] for row in rows}
        operator = operator_resolver(numbers)
        if isinstance(rows, list):
            rows = written = [(*row, operator(row[mobile], row[iso])) for row in rows]
        else:
            rows = _with_operator(rows, mobile, iso, operator, written)
        columns = (*columns, "operator")
    elif isinstance(rows, list):
        written = rows
    else:
        rows = _kept(rows, written)
    common = {
        "batch_id": batch.pk,
        "account_id": batch.account_id,
        "product_code": product_code,
        "channel": adapter.name,
        "priority": priority,
        "scheduled_at": batch.scheduled_at,
        "submitted_at": now,
        "updated_at": now,
        "supplier": "",
        "supplier_message_id": "",
    }
    for field in _defaulted(columns, tuple(common)):  # what the channel leaves out
        common[field.attname] = field.get_default()
    if copy and connection.vendor == "postgresql":
        names = [*columns, *common]
        blocks = adapter.copy_text(rows, tuple(common.values()))
        if blocks is None:
            blocks = copy_text(rows, tuple(common.values()))
        # A writer thread sends while this one scrubs and formats: the server parses and indexes
        # one block as the next is made. An exception from the rows aborts the COPY (psycopg sends
        # COPY FAIL), and the caller's transaction rolls everything back.
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY sending_message ({', '.join(names)}) FROM STDIN",  # noqa: S608 - fixed column names
                writer=QueuedLibpqWriter(cursor.cursor),
            ) as copy_in,
        ):
            for block in blocks:
                copy_in.write(block)
        return columns, written
    if not isinstance(rows, list):
        rows = list(rows)  # fills `written`
    insert(columns, rows, common)
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


def insert(columns, rows, common):
    """A plain multi-row INSERT, each value prepared by its model field as the ORM would. A push
    writes one row inside the transaction that holds the wallet's row lock: building model
    instances and reading back database defaults (what `bulk_create` does) only lengthens it."""
    names = (*columns, *common)
    fields = _fields(names)
    tail = list(common.values())
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    head = f"INSERT INTO {Message._meta.db_table} ({quoted}) VALUES "  # noqa: S608 - model column names
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            params = []
            for row in chunk:
                params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, (*row, *tail), strict=True))
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
    end = "\t" + "\t".join(map(copy_value, tail)) + "\n"
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
    if not entries:
        return
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
    RefusedNumbers.objects.bulk_create(records)
