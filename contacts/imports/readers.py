"""Streaming readers for contact files: CSV/TXT through the csv module, workbooks through
portal.core.workbooks (XLSX in openpyxl's read-only mode, bounded against zip bombs; legacy .xls
through xlrd, read whole within its size limit). Rows come out one at a time as lists of strings,
so memory stays flat whatever the file's size."""

import codecs
import io

from portal.core import tabular, workbooks
from portal.core.errors import ValidationFailed

XLSX_EXTENSIONS = {"xlsx"}
XLS_EXTENSIONS = {"xls"}
ACCEPTED = ("txt", "csv", "xls", "xlsx")
WORKBOOK_FORMATS = ("xlsx", "xls")
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
    kind = workbooks.kind_of(head)
    if kind:
        return kind
    if ext in XLSX_EXTENSIONS or ext in XLS_EXTENSIONS:
        raise ValidationFailed({"file": [workbooks.NOT_A_WORKBOOK]})
    if b"\x00" in head[:4096]:
        raise ValidationFailed({"file": [tabular.NOT_TEXT]})
    return "csv"


def check_upload(upload, *, max_bytes):
    """Refuse what cannot be imported before anything is stored; returns the detected format. A
    workbook's zip directory is checked here (no part inflated); its rows are read by the job."""
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
    else:
        workbooks.check(upload, file_format)
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


def rows(handle, file_format):
    """Every row of the file (the header included), as lists of strings."""
    if file_format in WORKBOOK_FORMATS:
        return workbooks.rows(handle, file_format)
    return csv_rows(handle)


def is_blank(row):
    return not any((cell or "").strip() for cell in row)
