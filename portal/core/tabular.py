"""Reading uploaded CSV/TXT/XLSX files: one cell limit and one way to report a file that cannot be
read, for every import (contacts, unsubscribers, blocked templates, the registry) and the files of
numbers a send takes. A refusal is a ValidationFailed on `file` naming the line (a 422, or the
import job's error when the file is read in the background), never an exception of the reader.
A text file holds no NUL (the rule of portal.core.text for every text field).

No cell the portal imports comes near 128 KB (the longest, a template body, is a few KB). The
limit is the csv module's own default field limit, named here so spreadsheet cells get it too.
"""

import csv

from portal.core.errors import ValidationFailed

CELL_MAX_CHARS = 128 * 1024
NOT_TEXT = "The file is not a text file (save it as CSV with UTF-8 encoding)."
_TOO_LARGE = "field larger than field limit"


def too_large(line):
    return ValidationFailed({"file": [f"The file has a cell larger than 128 KB (line {line})."]})


def csv_rows(text, **options):
    """csv.reader over a text stream, raising ValidationFailed for a cell over CELL_MAX_CHARS or
    a line the csv module cannot parse."""
    reader = csv.reader(text, **options)
    while True:
        line = reader.line_num + 1  # where the row starts (a quoted cell may span lines)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if _TOO_LARGE in str(exc):
                raise too_large(line) from None
            raise ValidationFailed({"file": [f"The file could not be read as CSV (line {line}: {exc})."]}) from None
        yield row


def check_cells(cells, line):
    """Spreadsheet cells get the CSV limit: ValidationFailed when one is longer."""
    if any(len(cell) > CELL_MAX_CHARS for cell in cells):
        raise too_large(line)
    return cells


def check_text_file(chunks, *, line_limit=True):
    """Refuse file content (an iterable of byte chunks, e.g. `upload.chunks()`) that holds a NUL
    byte (it is no text file: UTF-16, a spreadsheet saved under .csv; no cell could be stored) or,
    with `line_limit`, a line longer than CELL_MAX_CHARS bytes. Neither reads the file as CSV:
    each chunk is scanned in C, one window of the limit at a time, so 100 MB cost ~0.2 s. Imports
    of one value per line check lines when the file arrives; csv_rows still refuses a quoted cell
    that spans lines when the file is read."""
    line, carry = 1, 0  # the current line's number and how many of its bytes came before this chunk
    for chunk in chunks:
        if b"\x00" in chunk:
            raise ValidationFailed({"file": [NOT_TEXT]})
        if not line_limit:
            continue
        start, size = 0, len(chunk)
        first = chunk.find(b"\n")
        if first == -1:
            carry += size
            if carry > CELL_MAX_CHARS:
                raise too_large(line)
            continue
        if carry + first > CELL_MAX_CHARS:
            raise too_large(line)
        start = first + 1
        while size - start > CELL_MAX_CHARS:
            end = chunk.rfind(b"\n", start, start + CELL_MAX_CHARS + 1)
            if end == -1:
                raise too_large(line + chunk.count(b"\n", 0, start))
            start = end + 1
        line += chunk.count(b"\n")
        carry = size - chunk.rfind(b"\n") - 1
