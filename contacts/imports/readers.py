"""Streaming readers for contact files: CSV/TXT through the csv module, XLSX through openpyxl's
read-only mode. Rows come out one at a time as lists of strings, so memory stays flat whatever
the file's size. Legacy binary .xls (BIFF) has no streaming reader: xlrd reads the workbook whole,
which the upload limit bounds."""

import codecs
import datetime
import io
from decimal import Decimal

from portal.core import tabular
from portal.core.errors import ValidationFailed

XLSX_EXTENSIONS = {"xlsx"}
XLS_EXTENSIONS = {"xls"}
ACCEPTED = ("txt", "csv", "xls", "xlsx")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy binary .xls
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


def extension_of(name):
    name = name or ""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def detect_format(name, head):
    """'csv' or 'xlsx' from the name and the first bytes; ValidationFailed for anything else."""
    ext = extension_of(name)
    if ext not in ACCEPTED:
        raise ValidationFailed({"file": [f"The file must be a file of type: {', '.join(ACCEPTED)}."]})
    if head.startswith(OLE_MAGIC):
        return "xls"
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if ext in XLSX_EXTENSIONS or ext in XLS_EXTENSIONS:
        raise ValidationFailed({"file": ["The file is not a valid Excel workbook."]})
    if b"\x00" in head[:4096]:
        raise ValidationFailed({"file": [tabular.NOT_TEXT]})
    return "csv"


def check_upload(upload, *, max_bytes):
    """Refuse what cannot be imported before anything is stored; returns the detected format."""
    if upload.size == 0:
        raise ValidationFailed({"file": ["The file is empty."]})
    if upload.size > max_bytes:
        raise ValidationFailed({"file": [f"The file may not be greater than {max_bytes // (1024 * 1024)} MB."]})
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    file_format = detect_format(upload.name, head)
    if file_format == "csv":
        # The cell limit is the csv reader's (exact, while the upload is inspected); NUL anywhere
        # refuses the file here, as it does in the first bytes.
        tabular.check_text_file(upload.chunks(), line_limit=False)
        upload.seek(0)
    return file_format


def sniff_encoding(head):
    """UTF-8 (with or without BOM) when the first bytes decode as such, else Windows-1252, the
    usual encoding of spreadsheet exports that are not UTF-8."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def sniff_delimiter(sample):
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def csv_rows(handle):
    """Rows of a binary CSV/TXT handle. Undecodable bytes become U+FFFD; the importer rejects
    those rows instead of guessing. A cell over 128 KB refuses the file (portal.core.tabular)."""
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    encoding = sniff_encoding(head)
    sample = head.decode(encoding, errors="replace").lstrip("\ufeff")
    text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
    try:
        yield from tabular.csv_rows(text, delimiter=sniff_delimiter(sample))
    finally:
        text.detach()


def _cell(value):
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


def xlsx_rows(handle):
    """Rows of the first sheet, read lazily (openpyxl read-only mode keeps one row at a time)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise ValidationFailed({"file": ["The file is not a valid Excel workbook."]}) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield tabular.check_cells([_cell(v) for v in row], number)
    finally:
        workbook.close()


def xls_rows(handle):
    """Rows of the first sheet of a legacy .xls workbook (read whole: BIFF files cannot stream)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=handle.read(), on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # noqa: BLE001 - xlrd raises many kinds for a broken file
        raise ValidationFailed({"file": ["The file is not a valid Excel workbook."]}) from exc
    try:
        for index in range(sheet.nrows):
            cells = []
            for cell in sheet.row(index):
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    value = xlrd.xldate_as_datetime(value, book.datemode)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                cells.append(_cell(value))
            yield tabular.check_cells(cells, index + 1)
    finally:
        book.release_resources()


def rows(handle, file_format):
    """Every row of the file (the header included), as lists of strings."""
    if file_format == "xlsx":
        return xlsx_rows(handle)
    if file_format == "xls":
        return xls_rows(handle)
    return csv_rows(handle)


def is_blank(row):
    return not any((cell or "").strip() for cell in row)
