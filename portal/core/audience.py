"""Who a composer's send goes to, for every channel: typed numbers, the recipients of an earlier
send, uploaded files and segments, counted together and deduplicated across them.

Channels plug in what only they know: the earlier send's numbers (their own batch or call group)
and the segments' members (from `contacts.recipients`, which this core layer may not import), both
as plain iterables or a callable, so SMS, WhatsApp and voice build their audience the same way.

Typed numbers are kept as given (a number typed twice is the channel's to answer, e.g. DUPLICATE);
every later source adds a number only when no earlier one has it.
"""

import io
import re
from dataclasses import dataclass, field

from portal.core import tabular
from portal.core.errors import DomainError
from portal.core.phone_numbers import digits_of

SPLIT = re.compile(r"[\s,;]+")


def typed(value):
    """Numbers from a comma/space/newline separated string or a list."""
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [n for n in SPLIT.split(str(value or "")) if n]


def from_file(upload):
    """The first column of a CSV upload, skipping a header and rows without digits.
    ValidationFailed on `file` for a file that is no text (a NUL byte: UTF-16, a spreadsheet
    saved as .csv) or a cell the CSV reader refuses."""
    tabular.check_text_file(upload.chunks(), line_limit=False)
    upload.seek(0)
    reader = tabular.csv_rows(io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace", newline=""))
    return [row[0].strip() for row in reader if row and row[0].strip() and any(c.isdigit() for c in row[0])]


@dataclass
class Audience:
    """Every recipient of a send, in order, and how many each source brought (after removing the
    numbers an earlier source already had)."""

    numbers: list = field(default_factory=list)
    typed: int = 0
    from_files: int = 0
    from_segments: int = 0
    from_batch: int = 0
    problem: str = ""  # a source that could not be read (an old segment id): the send reports it


class _Deduplicated:
    def __init__(self, numbers):
        self.numbers = list(numbers)
        self.seen = {digits_of(n) for n in self.numbers}

    def add(self, candidates):
        added = 0
        for number in candidates:
            key = digits_of(number)
            if key not in self.seen:
                self.seen.add(key)
                self.numbers.append(number)
                added += 1
        return added


def build(*, typed_numbers="", earlier=(), files=(), segments=None, strict=True):
    """The audience of a composer's send. `earlier`: an earlier send's numbers (a follow-up);
    `segments`: a callable returning the segments' members, called only here so a bad segment id
    is caught in one place. Not strict, a file or segment that raises DomainError (an unreadable
    file, a segment id that is gone) is left out and named in `problem` (the preview shows it);
    strict re-raises it (the send)."""
    audience = _Deduplicated(typed(typed_numbers))
    result = Audience(typed=len(audience.numbers))
    result.from_batch = audience.add(earlier)
    try:
        for upload in files:
            result.from_files += audience.add(from_file(upload))
        if segments is not None:
            result.from_segments = audience.add(segments())
    except DomainError as exc:
        if strict:
            raise
        result.problem = exc.message
    result.numbers = audience.numbers
    return result
