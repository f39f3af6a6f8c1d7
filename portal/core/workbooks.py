"""Spreadsheet workbooks (XLSX, legacy XLS) for every import, read so that a small file cannot make
a worker do unbounded work.

An XLSX is a zip of XML parts. `check()` reads only the zip's directory (no part is inflated) and
refuses a workbook whose parts would inflate past WORKBOOK_MAX_UNCOMPRESSED_BYTES together, whose
parts are compressed more than WORKBOOK_MAX_RATIO to 1 (sheets saved by spreadsheet programs: 5 to
30; a zip bomb: hundreds to a thousand), or that has more than WORKBOOK_MAX_PARTS parts. The
directory's sizes can be trusted as upper bounds: Python's zipfile never inflates a part past the
size the directory declares, and a part that holds more fails its CRC check ("not a valid
workbook"). Uploads and downloads are checked before a job is queued; the readers check again, so
no reader opens an unchecked file.

Inside a valid zip, the sheet's XML can still ask for work out of proportion to its size: a row
numbered 1,000,000,000 makes openpyxl produce every missing row before it, and one cell in column
ZZZ makes it pad its row to 18,278 cells. `rows()` stops at Excel's 1,048,576 rows and refuses the
first row that reaches past WORKBOOK_MAX_COLUMNS (even with empty, formatted cells there) instead
of walking it. Every cell gets the 128 KB limit of
portal.core.tabular.

Legacy .xls (BIFF) is not compressed, and xlrd reads it whole: it is bounded by its size
(WORKBOOK_XLS_MAX_BYTES).
"""

import datetime
import zipfile
from decimal import Decimal

from django.conf import settings

from portal.core import tabular
from portal.core.errors import ValidationFailed

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy binary .xls
MAX_ROWS = 1_048_576  # Excel's own limit
# Parts this small are never worth refusing for their ratio (an empty style sheet compresses 50:1).
RATIO_FLOOR_BYTES = 1024 * 1024
NOT_A_WORKBOOK = "The file is not a valid Excel workbook."


def kind_of(head):
    """'xlsx' or 'xls' from a file's first bytes; None for anything else."""
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "xls"
    return None


def refused(message, field="file"):
    return ValidationFailed({field: [message]})


def _megabytes(size):
    if size < 1024 * 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size / (1024 * 1024):,.0f} MB"


def check(handle, file_format, *, field="file"):
    """Refuse a workbook that would cost more to read than its size suggests (see module
    docstring). `handle` is a seekable binary file; it is left at its start. Raises
    ValidationFailed on `field`."""
    handle.seek(0)
    try:
        if file_format == "xls":
            _check_xls(handle, field)
        else:
            _check_xlsx(handle, field)
    finally:
        handle.seek(0)


def _check_xls(handle, field):
    handle.seek(0, 2)
    size = handle.tell()
    if size > settings.WORKBOOK_XLS_MAX_BYTES:
        raise refused(
            f"Legacy .xls workbooks may not be greater than {_megabytes(settings.WORKBOOK_XLS_MAX_BYTES)}: "
            "save the sheet as .xlsx or CSV.",
            field,
        )


def _check_xlsx(handle, field):
    try:
        with zipfile.ZipFile(handle) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise refused(NOT_A_WORKBOOK, field) from None
    if len(parts) > settings.WORKBOOK_MAX_PARTS:
        raise refused(f"The workbook has more than {settings.WORKBOOK_MAX_PARTS:,} parts.", field)
    limit, ratio = settings.WORKBOOK_MAX_UNCOMPRESSED_BYTES, settings.WORKBOOK_MAX_RATIO
    total = sum(part.file_size for part in parts)
    if total > limit:
        raise refused(
            f"The workbook would take {_megabytes(total)} once unpacked; at most {_megabytes(limit)} is read "
            "(save the sheet as CSV).",
            field,
        )
    for part in parts:
        if part.file_size > RATIO_FLOOR_BYTES and part.file_size > ratio * max(part.compress_size, 1):
            raise refused(
                f"The workbook is compressed more than {ratio} to 1 ({part.filename}); "
                "it is refused as a possible zip bomb.",
                field,
            )


def cell_text(value):
    """A cell's value as the text an import reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Phone numbers typed into a sheet are stored as floats: 919876543210.0
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _too_wide(number):
    limit = settings.WORKBOOK_MAX_COLUMNS
    return refused(
        f"Row {number} of the sheet reaches beyond column {limit}; at most {limit} columns are read "
        "(delete the columns after your data)."
    )


def xlsx_rows(handle):
    """Rows of the first sheet (lists of strings; a row missing from the sheet is an empty list),
    read lazily: openpyxl's read-only mode keeps one row at a time."""
    from openpyxl import load_workbook

    check(handle, "xlsx")
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise refused(NOT_A_WORKBOOK) from exc
    try:
        sheet = workbook.worksheets[0]
        # The sheet's declared dimension would pad every row to its widest column: ignore it.
        sheet.reset_dimensions()
        width = settings.WORKBOOK_MAX_COLUMNS
        try:
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS:
                    raise refused(f"The sheet has more than {MAX_ROWS:,} rows.")
                if not row:  # a row the sheet skips (or an empty one)
                    yield []
                    continue
                if len(row) > width:
                    raise _too_wide(number)
                yield tabular.check_cells([cell_text(v) for v in row], number)
        except ValidationFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken part (bad XML, a CRC mismatch) shows here
            raise refused(NOT_A_WORKBOOK) from exc
    finally:
        workbook.close()


def xls_rows(handle):
    """Rows of the first sheet of a legacy .xls workbook (read whole: BIFF files cannot stream)."""
    import xlrd

    check(handle, "xls")
    try:
        book = xlrd.open_workbook(file_contents=handle.read(), on_demand=True, ragged_rows=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # noqa: BLE001 - xlrd raises many kinds for a broken file
        raise refused(NOT_A_WORKBOOK) from exc
    width = settings.WORKBOOK_MAX_COLUMNS
    try:
        for index in range(sheet.nrows):
            row = sheet.row(index)
            if len(row) > width:
                raise _too_wide(index + 1)
            cells = []
            for cell in row:
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    value = xlrd.xldate_as_datetime(value, book.datemode)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                cells.append(cell_text(value))
            yield tabular.check_cells(cells, index + 1)
    finally:
        book.release_resources()


def rows(handle, file_format):
    """Every row of a workbook's first sheet, the header included, as lists of strings."""
    return xls_rows(handle) if file_format == "xls" else xlsx_rows(handle)
