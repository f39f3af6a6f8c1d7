"""Export rows formatted by PostgreSQL and streamed with `COPY (SELECT …) TO STDOUT`, in keyset
chunks: no model instances, no per-cell Python. The SELECT is the delivery report's own queryset
(same filters, same tenant scope) with the cells built in SQL:

- times in the account's zone (`to_char(… AT TIME ZONE …)`), the public id `<group id>:<index>`;
- every text cell formula-safe exactly as `portal.core.exports.safe_cell` makes it (a leading
  `'` before `= + - @`, tab or CR unless the text is a plain number);
- CSV: COPY's own CSV quoting; XLSX: each row as one `<row>` of the sheet's XML (inline
  strings, XML-escaped, characters XML cannot hold dropped).

Each chunk carries its keyset position as a last, hidden column (cut off before writing), so the
next chunk starts after it and the caller can record progress and notice a cancellation between
chunks on the same connection. libpq hands COPY data over one row at a time, so rows are
counted exactly.
"""

from datetime import datetime

from django.db import connection
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Cast, Concat

# XML 1.0 cannot hold these; PostgreSQL text cannot hold NUL.
_XML_INVALID = "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13))
_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]+)?|\.[0-9]+)$"


class SafeCell(Func):
    """`safe_cell` in SQL: a text a spreadsheet would run as a formula gets a leading quote."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        text = f"COALESCE(({sql})::text, '')"
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
        return escaped, [*params, _XML_INVALID]


class NullIfEmpty(Func):
    """'' as NULL: COPY's CSV writes NULL unquoted and '' as `""`; Python's csv writes both bare."""

    function = "NULLIF"
    output_field = TextField()

    def __init__(self, expression):
        super().__init__(expression, Value(""))


def _string_cell(expression):
    return Concat(
        Value('<c t="inlineStr"><is><t>'),
        XmlText(SafeCell(expression)),
        Value("</t></is></c>"),
        output_field=TextField(),
    )


def _number_cell(expression):
    return Concat(Value("<c><v>"), Cast(expression, TextField()), Value("</v></c>"), output_field=TextField())


def _cells(zone_name):
    """The HEADER's cells as SQL expressions: (expression, is_text)."""
    public_id = Concat(
        Cast(F("batch__uuid"), TextField()), Value(":"), Cast(F("index"), TextField()), output_field=TextField()
    )
    return (
        (public_id, True),
        (F("channel"), True),
        (F("mobile"), True),
        (F("iso"), True),
        (F("operator"), True),
        (F("sender"), True),
        (F("product_code"), True),
        (F("template_id"), True),
        (F("status"), True),
        (F("status_code"), True),
        (F("units"), False),
        (F("charges"), False),
        (F("custom"), True),
        (LocalTime(F("submitted_at"), zone_name), True),
        (LocalTime(F("delivered_at"), zone_name), True),
    )


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
        for expression, is_text in cells:
            parts.append(_string_cell(expression) if is_text else _number_cell(expression))
        parts.append(Value("</row>"))
        columns = {"_row": Concat(*parts, output_field=TextField())}
    else:
        columns = {
            f"_c{i}": NullIfEmpty(SafeCell(expression)) if is_text else expression
            for i, (expression, is_text) in enumerate(cells)
        }
    columns["_key"] = key
    query = rows.annotate(**columns).values_list(*columns)[:limit]
    return query.query.sql_with_params()


def chunks(messages, *, fmt, zone_name, by_index, size):
    """Yield (bytes, rows) per keyset chunk of at most `size` rows: CSV lines, or `<row>`
    elements of the sheet (one per line), in export order, until the rows run out."""
    position = None
    delimiter = b"\t" if fmt == "xlsx" else b","
    with connection.cursor() as cursor:
        while True:
            sql, params = _select(messages, fmt, zone_name, by_index, position, size)
            options = "" if fmt == "xlsx" else " (FORMAT csv)"
            lines, count, last = [], 0, None
            with cursor.copy(f"COPY ({sql}) TO STDOUT{options}", params) as copy:  # noqa: S608 - built by the ORM
                for data in copy:
                    line = bytes(data)
                    cut = line.rindex(delimiter)
                    lines.append(line[:cut])
                    last = line[cut + 1 : -1]
                    count += 1
            if not count:
                return
            block = b"\n".join(lines) + b"\n"
            if fmt == "xlsx":
                block = block.replace(b"\\\\", b"\\")  # COPY's text format doubles backslashes; nothing else is escaped
            yield block, count
            if count < size:
                return
            position = last.decode()
