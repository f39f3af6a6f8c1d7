"""Writing a batch's message rows: PostgreSQL COPY for big batches, bulk_create otherwise."""

import json
from datetime import datetime

from django.db import connection
from psycopg.copy import QueuedLibpqWriter

from messaging.pipeline.models import Message
from portal.core.bulk import copy_escape

COPY_FROM = 500  # rows; below this an INSERT is as quick and works on every database


def messages(adapter, batch, rows, *, now, priority, product_code):
    """Write `rows` (tuples in `adapter.columns` order) with the columns every message shares."""
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
    if connection.vendor == "postgresql" and len(rows) > COPY_FROM:
        columns = [*adapter.columns, *common]
        blocks = adapter.copy_text(rows, tuple(common.values()))
        if blocks is None:
            blocks = copy_text(rows, tuple(common.values()))
        # A writer thread sends while this one formats: the server parses one block as the next
        # is built.
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY sending_message ({', '.join(columns)}) FROM STDIN",  # noqa: S608 - fixed column names
                writer=QueuedLibpqWriter(cursor.cursor),
            ) as copy,
        ):
            for block in blocks:
                copy.write(block)
        return
    Message.objects.bulk_create(
        [Message(**dict(zip(adapter.columns, row, strict=True)), **common) for row in rows], batch_size=2000
    )


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
