"""The sheet's rows from COPY's text format match the rows written from Python values
(row_xml), whatever the text holds, and the package opens as a workbook."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from messaging.reports.xlsx_stream import SheetWriter, copy_row_layout, row_xml, rows_from_copy

TEXTS = [
    "a&b<c>d",
    "tab\there",
    "line\nend",
    "cr\rx",
    "back\\slash \\t \\N \\\\",
    "bell\x07 bs\x08 vt\x0b ff\x0c esc\x1b",
    "",
    "naïve ☃ 𝄞",
    "&#9; already a reference",
]
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v"}


def _copy_text(row):
    """One line as COPY ... TO STDOUT (text format) writes it."""
    return ("\t".join("".join(_COPY_ESCAPES.get(ch, ch) for ch in str(v)) for v in row) + "\n").encode()


def _rows():
    return [[TEXTS[(i + j) % len(TEXTS)] for j in range(3)] + [i, f"{i}.2500"] for i in range(len(TEXTS) * 3)]


def test_it_writes_the_rows_row_xml_writes():
    rows = _rows()
    layout = copy_row_layout([False, False, False, True, True])
    got = rows_from_copy([memoryview(_copy_text(r)) for r in rows], layout)
    want = b"".join(row_xml([*r[:3], r[3], Decimal(r[4])]) for r in rows)
    assert got == want


def test_a_row_of_the_wrong_width_is_refused_and_no_rows_write_nothing():
    layout = copy_row_layout([False, True])
    with pytest.raises(ValueError, match="2 fields"):
        rows_from_copy([b"a\tb\tc\n"], layout)
    assert rows_from_copy([], layout) == b""


def test_the_package_opens_with_the_same_cells():
    rows = _rows()
    out = io.BytesIO()
    with SheetWriter(out, "Messages") as sheet:
        sheet.write(row_xml(["a", "b", "c", "units", "charges"]))
        sheet.write(rows_from_copy([_copy_text(r) for r in rows], copy_row_layout([False] * 3 + [True] * 2)))
    got = list(load_workbook(io.BytesIO(out.getvalue()), read_only=True)["Messages"].iter_rows(values_only=True))
    assert len(got) == len(rows) + 1
    for values, row in zip(got[1:], rows, strict=True):
        # XML 1.0 has no place for the control characters but tab, LF and CR: they are dropped.
        texts = ["".join(ch for ch in t if ch in "\t\n\r" or ch >= " ") for t in row[:3]]
        assert [v or "" for v in values[:3]] == texts and values[3] == row[3] and values[4] == float(row[4])
