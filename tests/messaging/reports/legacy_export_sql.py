"""The SQL export as it was before single-pass chunks (kept verbatim as the reference the new
module must match byte for byte: tests/messaging/reports/test_export_sql.py)."""

from datetime import datetime

from django.db import connection
from django.db.models import Case, F, Func, Q, TextField, Value, When
from django.db.models.functions import Cast, Concat

from messaging.reports import statuses

# XML 1.0 cannot hold these; PostgreSQL text cannot hold NUL.
_XML_INVALID = "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13))
_NEEDS_ESCAPING = "[&<>\x01-\x1f]"
_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]+)?|\.[0-9]+)$"


class SafeCell(Func):
    """`safe_cell` in SQL: a text a spreadsheet would run as a formula gets a leading quote."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        text = sql  # a NOT NULL text column
        return (
            f"(CASE WHEN left({text}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') AND {text} !~ %s "
            f"THEN '''' || {text} ELSE {text} END)",
            [*params, *params, _PLAIN_NUMBER, *params, *params],
        )


class LocalTime(Func):
    """A timestamp as `YYYY-MM-DD HH:MM:SS` in a time zone (NULL stays NULL)."""

    output_field = TextField()

    def __init__(self, expression, zone_name):
        super().__init__(expression)
        self.zone_name = zone_name

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS')", [*params, self.zone_name]


class XmlText(Func):
    """Text escaped for an XML text node; tab, LF and CR as character references (COPY's text
    format would otherwise escape them), other control characters dropped."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        escaped = f"translate(({sql}), %s, '')"
        for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            escaped = f"replace({escaped}, '{old}', '{new}')"
        for code, new in ((9, "&#9;"), (10, "&#10;"), (13, "&#13;")):
            escaped = f"replace({escaped}, chr({code}), '{new}')"
        # Most cells need none of it: one regular-expression test spares them the chain.
        return f"(CASE WHEN ({sql}) ~ %s THEN {escaped} ELSE ({sql}) END)", [
            *params,
            _NEEDS_ESCAPING,
            *params,
            _XML_INVALID,
            *params,
        ]


class PublicId(Func):
    """`<group id>:<index>` (the batch is joined by the ORM through `batch__uuid`)."""

    output_field = TextField()

    def __init__(self):
        super().__init__(F("batch__uuid"), F("index"))

    def as_sql(self, compiler, connection, **extra):
        (uuid_sql, uuid_params), (index_sql, index_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"({uuid_sql}::text || ':' || {index_sql}::text)", [*uuid_params, *index_params]


def _string_cell(expression, kind):
    if kind == TEXT:
        expression = XmlText(SafeCell(expression))
    return Concat(Value('<c t="inlineStr"><is><t>'), expression, Value("</t></is></c>"), output_field=TextField())


def _number_cell(expression):
    return Concat(Value("<c><v>"), Cast(expression, TextField()), Value("</v></c>"), output_field=TextField())


# Cell kinds: text that may come from outside (customers, suppliers, staff: formula-safe and,
# in XLSX, escaped), text of the portal's own making (ids, codes, times: nothing to neutralise or
# escape), numbers.
TEXT, OWN, NUMBER = "text", "own", "number"


def _cells(zone_name):
    """The HEADER's cells as SQL expressions: (expression, kind)."""
    return (
        (PublicId(), OWN),
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
        (LocalTime(F("submitted_at"), zone_name), OWN),
        (LocalTime(F("delivered_at"), zone_name), OWN),
        (status_meaning(), TEXT),
    )


def status_meaning():
    """statuses.explain() as a CASE over (status, code): the same sentence the pages show."""
    whens = [When(status=status, then=Value(statuses.explain(status))) for status in statuses.PIPELINE]
    whens += [
        When(status=status, status_code=code, then=Value(statuses.explain(status, code)))
        for code, status in statuses.CATALOGUED
    ]
    whens += [When(status=status, then=Value(statuses.explain(status))) for status in statuses.BY_STATUS]
    return Case(*whens, default=Value(statuses.explain("")), output_field=TextField())


def _keyed(messages, by_index):
    """The keyset: a campaign by its batch index (the batch's unique index serves it), anything
    else by (submitted_at, id)."""
    if by_index:
        return messages.order_by("index"), Cast(F("index"), TextField())
    key = Concat(Cast(F("submitted_at"), TextField()), Value("|"), Cast(F("id"), TextField()), output_field=TextField())
    return messages.order_by("submitted_at", "id"), key


def _after(messages, by_index, position):
    if position is None:
        return messages
    if by_index:
        return messages.filter(index__gt=int(position))
    when, _, pk = position.partition("|")
    when = datetime.fromisoformat(when)
    return messages.filter(Q(submitted_at__gt=when) | Q(submitted_at=when, id__gt=int(pk)))


def _select(messages, fmt, zone_name, by_index, position, limit):
    rows, key = _keyed(_after(messages, by_index, position), by_index)
    cells = _cells(zone_name)
    if fmt == "xlsx":
        parts = [Value("<row>")]
        for expression, kind in cells:
            parts.append(_number_cell(expression) if kind == NUMBER else _string_cell(expression, kind))
        parts.append(Value("</row>"))
        columns = {"_row": Concat(*parts, output_field=TextField())}
    else:
        # An empty text is written `""` (COPY tells it from NULL); a CSV reader reads both as empty.
        columns = {f"_c{i}": SafeCell(e) if kind == TEXT else e for i, (e, kind) in enumerate(cells)}
    columns["_key"] = key
    query = rows.annotate(**columns).values_list(*columns)[:limit]
    return query.query.sql_with_params()


WRITE_EVERY = 2000  # rows handed to `write` at a time: memory stays a few MB whatever the chunk


def chunks(messages, *, fmt, zone_name, by_index, size, write):
    """Write the rows through `write` (CSV lines, or `<row>` elements of the sheet, one per
    line), in export order, and yield the row count of each keyset chunk of at most `size` rows
    once its COPY has finished (the connection is free again), until the rows run out."""
    position = None
    delimiter = b"\t" if fmt == "xlsx" else b","
    options = "" if fmt == "xlsx" else " (FORMAT csv)"

    def flush(lines):
        block = b"\n".join(lines) + b"\n"
        if fmt == "xlsx":
            block = block.replace(b"\\\\", b"\\")  # COPY's text format doubles backslashes; nothing else is escaped
        write(block)

    with connection.cursor() as cursor:
        while True:
            sql, params = _select(messages, fmt, zone_name, by_index, position, size)
            lines, count, last = [], 0, None
            with cursor.copy(f"COPY ({sql}) TO STDOUT{options}", params) as copy:  # noqa: S608 - built by the ORM
                for data in copy:
                    line = bytes(data)
                    cut = line.rindex(delimiter)
                    lines.append(line[:cut])
                    last = line[cut + 1 : -1]
                    count += 1
                    if len(lines) == WRITE_EVERY:
                        flush(lines)
                        lines = []
            if lines:
                flush(lines)
            if not count:
                return
            yield count
            if count < size:
                return
            position = last.decode()
