"""Crafted workbooks for the tests: real XLSX files whose sheet asks for far more work than its size
(zip bombs, rows numbered past a sheet's end, cells in column ZZZ), built in memory in well under a
second and small on disk.

`zip_of()` writes a zip by hand, so a part can carry a deflate stream made of one compressed block
repeated (deflate's full flush makes the block's bytes the same each time): a gigabyte of sheet XML
costs a few hundred kilobytes and no gigabyte of compression work.
"""

import functools
import io
import struct
import zipfile
import zlib

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def xlsx_parts(rows=(("template_id",), ("111",))):
    """The parts (name -> bytes) of a small valid workbook written by openpyxl."""
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


class Deflated:
    """A part's compressed bytes with the sizes and CRC its directory entry declares."""

    def __init__(self, data, size, crc):
        self.data, self.size, self.crc = data, size, crc


def deflate(content):
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Deflated(co.compress(content) + co.flush(), len(content), zlib.crc32(content))


def repeated(head, block, times, tail):
    """`head + block * times + tail` deflated, compressing `block` once."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    middle = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    again = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    assert middle == again  # after a full flush the same input gives the same bytes
    end = co.compress(tail) + co.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return Deflated(start + middle * times + end, len(head) + len(block) * times + len(tail), crc)


def zip_of(parts, *, declared_sizes=None):
    """A zip of `parts` (name -> bytes or Deflated). `declared_sizes` (name -> size) makes a
    directory entry lie about how large its part inflates."""
    out, central = io.BytesIO(), []
    for name, part in parts.items():
        part = part if isinstance(part, Deflated) else deflate(part)
        size = (declared_sizes or {}).get(name, part.size)
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, part.crc, len(part.data), size, len(encoded), 0)
        )
        out.write(encoded)
        out.write(part.data)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                part.crc,
                len(part.data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
    directory = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - directory
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, directory, 0))
    return out.getvalue()


def with_sheet(sheet):
    """A valid workbook whose first sheet is `sheet` (bytes or Deflated)."""
    return zip_of({**xlsx_parts(), SHEET: sheet})


@functools.cache
def bomb(inflated=1024 * 1024 * 1024):
    """A workbook whose sheet inflates to about `inflated` bytes of valid XML (1 GB by default)."""
    row = b'<row><c t="inlineStr"><is><t>111</t></is></c></row>'
    block = row * (1024 * 1024 // len(row))
    return with_sheet(repeated(SHEET_HEAD, block, max(1, inflated // len(block)), SHEET_TAIL))


def lying_bomb():
    """The bomb's parts, its sheet's directory entry claiming 1 MB: zipfile stops there."""
    parts = xlsx_parts()
    row = b'<row><c t="inlineStr"><is><t>111</t></is></c></row>'
    block = row * (1024 * 1024 // len(row))
    parts[SHEET] = repeated(SHEET_HEAD, block, 512, SHEET_TAIL)
    return zip_of(parts, declared_sizes={SHEET: 1024 * 1024})


def far_row():
    """A few hundred bytes whose sheet puts its one row at number 1,000,000,000."""
    return with_sheet(SHEET_HEAD + b'<row r="1000000000"><c r="A1000000000"><v>111</v></c></row>' + SHEET_TAIL)


def wide_cell():
    """A row with a cell in column ZZZ (the reader would pad it to 18,278 cells)."""
    return with_sheet(SHEET_HEAD + b'<row r="1"><c r="ZZZ1"><v>1</v></c></row>' + SHEET_TAIL)
