"""Bulk writes shared by the import jobs and the send path: PostgreSQL COPY into a staging table, then one
INSERT … ON CONFLICT DO NOTHING, so duplicates (also ones written meanwhile by another job) are
skipped instead of failing the whole batch."""

import itertools
import re

from django.db import IntegrityError, connection, transaction

_names = itertools.count(1)
# COPY's text format: backslash, tab, newline and carriage return are escaped; NULL is \N.
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = re.compile(r"[\\\t\n\r]").search


def copy_escape(value):
    """One value in COPY's text format (for callers that format whole lines themselves, which is
    several times cheaper than `write_row` adapting every value). The search first: `translate`
    costs ten times more and almost no value needs it."""
    if value is None:
        return "\\N"
    value = str(value)
    return value.translate(_ESCAPE) if _SPECIAL(value) else value


def _stage(cursor, stage, table, cols, rows):
    """A temporary table shaped like `table`'s `cols`, dropped at commit, filled by COPY."""
    cursor.execute(
        f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"  # noqa: S608 - fixed identifiers
    )
    with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_insert(table, columns, rows, *, defaults=None, returning=None):
    """Insert `rows` (tuples matching `columns`) into `table`; `defaults` maps further columns to
    SQL expressions (`now()`, `gen_random_uuid()`). Returns the RETURNING values when asked,
    else the number of rows inserted. PostgreSQL only; call inside a transaction."""
    defaults = defaults or {}
    stage = f"bulk_stage_{next(_names)}"
    cols = ", ".join(columns)
    all_cols = ", ".join([*columns, *defaults])
    values = ", ".join([*columns, *defaults.values()])
    with connection.cursor() as cursor:
        _stage(cursor, stage, table, cols, rows)
        sql = f"INSERT INTO {table} ({all_cols}) SELECT {values} FROM {stage} ON CONFLICT DO NOTHING"  # noqa: S608
        if returning:
            cursor.execute(f"{sql} RETURNING {returning}")
            result = cursor.fetchall()
        else:
            cursor.execute(sql)
            result = cursor.rowcount
        cursor.execute(f"DROP TABLE {stage}")
        return result


def next_ids(table, count):
    """Reserve `count` primary keys of `table` from its sequence (one round trip), so rows can
    be COPYed with their ids known up front."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


def copy_rows(table, columns, rows):
    """COPY `rows` straight into `table` inside a savepoint (no staging table: the fast path when
    the caller has already checked for duplicates). `rows` holds tuples, or str blocks of lines
    already in COPY's text format (see copy_escape). Returns False, with nothing written, when a
    unique constraint refused a row (a concurrent writer won); the caller then uses copy_insert."""
    from psycopg import errors

    cols = ", ".join(columns)
    try:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                if isinstance(row, str):
                    copy.write(row)
                else:
                    copy.write_row(row)
    except (IntegrityError, errors.UniqueViolation):
        return False
    return True


def copy_update(table, key, columns, rows):
    """UPDATE many rows with their own values in one statement: COPY (key, *columns) into a
    staging table, then UPDATE … FROM it (a CASE per column, as bulk_update writes, grows with the
    batch and is planned row by row). PostgreSQL only; call inside a transaction."""
    stage = f"bulk_stage_{next(_names)}"
    cols = ", ".join([key, *columns])
    assignments = ", ".join(f"{c} = s.{c}" for c in columns)
    with connection.cursor() as cursor:
        _stage(cursor, stage, table, cols, rows)
        cursor.execute(f"UPDATE {table} t SET {assignments} FROM {stage} s WHERE t.{key} = s.{key}")  # noqa: S608
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {stage}")
        return updated
