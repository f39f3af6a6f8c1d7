"""A one-sheet XLSX written as a stream: the sheet's XML goes through zlib straight into the zip
as rows arrive (memory stays flat whatever the row count), the package's other parts are fixed
text. Cells are inline strings or numbers; nothing is a formula, and text cells arrive already
formula-safe (portal.core.exports.safe_cell)."""

import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>\n'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def _workbook(sheet_name):
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def row_xml(values):
    """One `<row>` from Python values (the header, and rows on databases without COPY): numbers
    as numbers, everything else as text (already formula-safe), XML-escaped."""
    cells = []
    for value in values:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            cells.append(f"<c><v>{value}</v></c>")
        else:
            text = "".join(ch for ch in str(value) if ch in "\t\n\r" or ch >= " ")
            text = escape(text).replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
            cells.append(f'<c t="inlineStr"><is><t>{text}</t></is></c>')
    return ("<row>" + "".join(cells) + "</row>\n").encode()


# XML 1.0 cannot hold the control characters but tab, LF and CR. COPY's text format writes tab,
# LF, CR, backspace, form feed and vertical tab as backslash sequences, the others as they are.
_XML_INVALID = bytes(c for c in range(1, 32) if c not in (9, 10, 13))
_BACKSLASHED = re.compile(rb"\\(.)", re.DOTALL)
_UNESCAPE = {b"\\": b"\\", b"t": b"&#9;", b"n": b"&#10;", b"r": b"&#13;", b"b": b"", b"f": b"", b"v": b""}
_TEXT = (b'<c t="inlineStr"><is><t>', b"</t></is></c>")
_NUMBER = (b"<c><v>", b"</v></c>")


def copy_row_layout(kinds):
    """What rows_from_copy puts around each field, for cells of `kinds` (True: a number)."""
    cells = [_NUMBER if number else _TEXT for number in kinds]
    between = [cells[i - 1][1] + cells[i][0] for i in range(1, len(cells))]
    row_end = cells[-1][1] + b"</row>\n"
    return len(cells), b"<row>" + cells[0][0], [row_end + b"<row>" + cells[0][0], *between], row_end


def rows_from_copy(lines, layout):
    """The sheet's `<row>` elements for rows in COPY's text format (`lines`: each a buffer ending
    in LF, fields separated by tabs, no NULLs), the cells as `layout` (copy_row_layout) says.
    The work is per block, in C: XML escaping and dropping what XML cannot hold over the whole
    block (COPY keeps tabs and line ends inside values as backslash sequences, so the structure
    survives), then one join that puts the markup between the fields."""
    width, first, separators, last = layout
    if not lines:
        return b""
    block = b"".join(lines).replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    block = block.translate(None, _XML_INVALID)
    if b"\\" in block:
        block = _BACKSLASHED.sub(lambda m: _UNESCAPE[m.group(1)], block)
    fields = block.replace(b"\n", b"\t").split(b"\t")
    fields.pop()  # after the last line end
    if len(fields) % width:
        raise ValueError(f"COPY rows of {width} fields expected")
    parts = [b""] * (2 * len(fields) + 1)
    parts[1::2] = fields
    parts[0:-1:2] = separators * (len(fields) // width)
    parts[0], parts[-1] = first, last
    return b"".join(parts)


class SheetWriter:
    """`with SheetWriter(file, "Messages") as sheet: sheet.write(rows_xml)` writes the package
    to `file` (a binary file object; it need not be seekable)."""

    def __init__(self, file, sheet_name, *, compresslevel=1):
        # Level 1: a sheet of repeated markup compresses well even at the fastest level.
        self.zip = zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.sheet_name = sheet_name
        self.sheet = None

    def __enter__(self):
        self.zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self.zip.writestr("_rels/.rels", _RELS)
        self.zip.writestr("xl/workbook.xml", _workbook(self.sheet_name))
        self.zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.sheet.write(_SHEET_HEAD)
        return self

    def write(self, data):
        self.sheet.write(data)

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.sheet.write(_SHEET_TAIL)
        self.sheet.close()
        self.zip.close()
        return False
