"""Export rows formatted by PostgreSQL and streamed with `COPY (SELECT …) TO STDOUT` straight into
the file: no model instances, no per-row formatting in Python. The SELECT is the delivery
report's own queryset (same filters, same tenant scope) with the cells built in SQL:

- times in the account's zone (`date_trunc('second', … AT TIME ZONE …)::text`), the public id
  `<group id>:<index>`;
- every text cell formula-safe exactly as `portal.core.exports.safe_cell` makes it (a leading
  `'` before `= + - @`, tab or CR unless the text is a plain number);
- the status explanation looked up in two small constant tables (already formula-safe);
- CSV: COPY's own CSV quoting; XLSX: COPY's text format, turned into the sheet's XML a block of
  rows at a time (xlsx_stream.rows_from_copy).

Chunks: one query first numbers the matching rows in export order and keeps every `size`-th key
(and the count); each chunk is then one COPY of the rows between two keys, so the rows carry no
hidden key to cut off and the connection is free between chunks for the caller to record
progress and notice a cancellation.
"""

import json
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Func, TextField, Value, Window
from django.db.models.functions import RowNumber

from messaging.reports import statuses, xlsx_stream
from portal.core.exports import safe_cell

_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]+)?|\.[0-9]+)$"
# The first characters safe_cell neutralises (= + - @ tab CR), as code points: ascii() reads the
# first character as a number, cheaper per cell than left(…, 1) compared with six strings.
_TRIGGERS = ", ".join(str(ord(c)) for c in ("=", "+", "-", "@", "\t", "\r"))


class SafeCell(Func):
    """`safe_cell` in SQL: a text a spreadsheet would run as a formula gets a leading quote."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        text = sql  # a NOT NULL text column
        return (
            f"(CASE WHEN ascii({text}) IN ({_TRIGGERS}) AND {text} !~ %s THEN '''' || {text} ELSE {text} END)",
            [*params, *params, _PLAIN_NUMBER, *params, *params],
        )


class LocalTime(Func):
    """A timestamp as `YYYY-MM-DD HH:MM:SS` in a time zone (NULL stays NULL, or becomes
    `if_null`). With the ISO DateStyle (PostgreSQL's default) the local time truncated to the
    second is cast to text, which reads the same and costs a third less per cell than to_char;
    under any other DateStyle, to_char."""

    output_field = TextField()

    def __init__(self, expression, zone_name, if_null=None, iso=False):
        super().__init__(expression)
        self.zone_name, self.if_null, self.iso = zone_name, if_null, iso

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if self.iso:
            text = f"date_trunc('second', ({sql}) AT TIME ZONE %s)::text"
        else:
            text = f"to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS')"
        params = [*params, self.zone_name]
        if self.if_null is not None:
            return f"COALESCE({text}, %s)", [*params, self.if_null]
        return text, params


def iso_dates():
    """Whether the connection writes timestamps as ISO (its DateStyle, as the server reports it)."""
    connection.ensure_connection()
    return (connection.connection.info.parameter_status("DateStyle") or "").startswith("ISO")


class PublicId(Func):
    """`<group id>:<index>`. Within one campaign the group id is a constant (no batch join, no
    uuid formatting per row); otherwise the batch is joined by the ORM through `batch__uuid`."""

    output_field = TextField()

    def __init__(self, campaign=None):
        self.prefix = f"{uuid.UUID(str(campaign))}:" if campaign else None
        super().__init__(*([] if campaign else [F("batch__uuid")]), F("index"))

    def as_sql(self, compiler, connection, **extra):
        compiled = [compiler.compile(e) for e in self.source_expressions]
        if self.prefix:
            ((index_sql, index_params),) = compiled
            return f"(%s || {index_sql}::text)", [self.prefix, *index_params]
        (uuid_sql, uuid_params), (index_sql, index_params) = compiled
        return f"({uuid_sql}::text || ':' || {index_sql}::text)", [*uuid_params, *index_params]


def _meanings():
    """statuses.explain() as two lookups, formula-safe already: (code|status -> meaning for the
    catalogued pairs, status -> meaning, the meaning of anything else). A status the pipeline
    names itself keeps its own meaning whatever the code, as explain() decides."""
    pairs = {
        f"{code}|{status}": safe_cell(statuses.explain(status, code))
        for code, status in statuses.CATALOGUED
        if status not in statuses.PIPELINE
    }
    by_status = {status: safe_cell(statuses.explain(status)) for status in [*statuses.PIPELINE, *statuses.BY_STATUS]}
    return json.dumps(pairs), json.dumps(by_status), safe_cell(statuses.explain(""))


class StatusMeaning(Func):
    """The status table's sentence for (status, code). A catalogued pair's key cannot be made
    from a row's status and code unless both equal the pair's: catalogued codes and statuses
    hold no `|`, so a key holding one `|` splits one way only."""

    output_field = TextField()

    def __init__(self):
        super().__init__(F("status"), F("status_code"))

    def as_sql(self, compiler, connection, **extra):
        (status_sql, status_params), (code_sql, code_params) = (compiler.compile(e) for e in self.source_expressions)
        pairs, by_status, default = _meanings()
        return (
            f"COALESCE(%s::jsonb ->> ({code_sql} || '|' || {status_sql}), %s::jsonb ->> {status_sql}, %s)",
            [pairs, *code_params, *status_params, by_status, *status_params, default],
        )


# Cell kinds: text that may come from outside (customers, suppliers, staff: formula-safe), text
# of the portal's own making (ids, codes, times, explanations: nothing to neutralise), numbers.
TEXT, OWN, NUMBER = "text", "own", "number"


def _cells(fmt, zone_name, campaign, iso=False):
    """The HEADER's cells as SQL expressions: (expression, kind). In XLSX (COPY's text format)
    a missing delivery time is an empty text; in CSV it stays NULL, which COPY writes unquoted."""
    return (
        (PublicId(campaign), OWN),
        (F("channel"), OWN),
        (F("mobile"), TEXT),
        (F("iso"), OWN),
        (F("operator"), TEXT),
        (F("sender"), TEXT),
        (F("product_code"), OWN),
        (F("template_id"), TEXT),
        (F("status"), TEXT),
        (F("status_code"), TEXT),
        (F("units"), NUMBER),
        (F("charges"), NUMBER),
        (F("custom"), TEXT),
        (LocalTime(F("submitted_at"), zone_name, iso=iso), OWN),
        (LocalTime(F("delivered_at"), zone_name, if_null="" if fmt == "xlsx" else None, iso=iso), OWN),
        (StatusMeaning(), OWN),
    )


class _RowCompare(Func):
    """`(a, b) <op> (x, y)`: a keyset bound the (account, submitted_at, id) index seeks to."""

    output_field = BooleanField()

    def __init__(self, fields, op, values):
        super().__init__(*(F(f) for f in fields), *(Value(v) for v in values))
        self.op, self.width = op, len(fields)

    def as_sql(self, compiler, connection, **extra):
        compiled = [compiler.compile(e) for e in self.source_expressions]
        left, right = compiled[: self.width], compiled[self.width :]
        sql = f"({', '.join(s for s, _ in left)}) {self.op} ({', '.join(s for s, _ in right)})"
        return sql, [p for _, params in compiled for p in params]


def _key_fields(by_index):
    """The export order: a campaign by its batch index (the batch's unique index serves it),
    anything else by (submitted_at, id)."""
    return ("index",) if by_index else ("submitted_at", "id")


@dataclass(frozen=True)
class Plan:
    """How many rows match, and the key ending each full chunk (in export order)."""

    total: int
    bounds: list


def plan(messages, *, by_index, size):
    """Number the matching rows in export order in one index scan: the count, and every
    `size`-th key as a chunk boundary."""
    fields = _key_fields(by_index)
    numbered = (
        messages.order_by()
        .annotate(_n=Window(RowNumber(), order_by=[F(f).asc() for f in fields]))
        .values_list(*fields, "_n")
    )
    sql, params = numbered.query.sql_with_params()
    every = f'FILTER (WHERE s."_n" %% {int(size)} = 0)'
    arrays = ", ".join(f'array_agg(s."{f}" ORDER BY s."_n") {every}' for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT max(s."_n"), {arrays} FROM ({sql}) s', params)  # noqa: S608 - built by the ORM
        total, *columns = cursor.fetchone()
    keys = list(zip(*(column or [] for column in columns), strict=True))
    return Plan(total or 0, [key[0] for key in keys] if by_index else keys)


def _between(messages, by_index, low, high):
    """The rows after key `low` up to and including key `high` (None: open-ended)."""
    if by_index:
        if low is not None:
            messages = messages.filter(index__gt=low)
        if high is not None:
            messages = messages.filter(index__lte=high)
        return messages
    fields = _key_fields(by_index)
    if low is not None:
        messages = messages.filter(_RowCompare(fields, ">", low))
    if high is not None:
        messages = messages.filter(_RowCompare(fields, "<=", high))
    return messages


def _select(messages, *, fmt, zone_name, by_index, campaign, low, high, iso=False):
    rows = _between(messages, by_index, low, high).order_by(*_key_fields(by_index))
    columns = {}
    for i, (expression, kind) in enumerate(_cells(fmt, zone_name, campaign, iso)):
        columns[f"_c{i}"] = SafeCell(expression) if kind == TEXT else expression
    return rows.annotate(**columns).values_list(*columns).query.sql_with_params()


WRITE_EVERY = 5000  # rows handed to `write` at a time: memory stays a few MB whatever the chunk


def chunks(messages, *, fmt, zone_name, by_index, campaign=None, planned=None, size, write):
    """Write the rows through `write` (CSV lines, or the sheet's `<row>` elements), in export
    order, and yield the row count of each chunk of about `size` rows once its COPY has
    finished (the connection is free again). `planned` is plan()'s answer if the caller already
    has it; `campaign` (a batch uuid, with `by_index`) spares the batch join."""
    planned = planned or plan(messages, by_index=by_index, size=size)
    if not planned.total:
        return
    options = " (FORMAT csv)" if fmt == "csv" else ""
    if fmt == "xlsx":
        layout = xlsx_stream.copy_row_layout([kind == NUMBER for _, kind in _cells(fmt, zone_name, campaign)])
        to_block = lambda lines: xlsx_stream.rows_from_copy(lines, layout)  # noqa: E731 - one line
    else:
        to_block = b"".join
    edges = [None, *planned.bounds, None]
    shape = {"fmt": fmt, "zone_name": zone_name, "by_index": by_index, "campaign": campaign, "iso": iso_dates()}
    with connection.cursor() as cursor:
        for low, high in zip(edges, edges[1:], strict=False):
            sql, params = _select(messages, low=low, high=high, **shape)
            count, lines = 0, []
            with cursor.copy(f"COPY ({sql}) TO STDOUT{options}", params) as copy:  # noqa: S608 - built by the ORM
                for data in copy:  # one row per call (libpq): collected, written a block at a time
                    lines.append(data)
                    if len(lines) == WRITE_EVERY:
                        write(to_block(lines))
                        count += len(lines)
                        lines = []
            if lines:
                write(to_block(lines))
                count += len(lines)
            if count:
                yield count
