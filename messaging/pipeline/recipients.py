"""One recipient resolver for every composer and endpoint: typed numbers, uploaded files and
segments, counted together and deduplicated across them.

Typed numbers are kept as given (the v2 answer has one row per listed number, and a number listed
twice is answered DUPLICATE by scrubbing); numbers from files and segments are added only when no
earlier source already has them.
"""

import io
import re
from itertools import islice

from django.conf import settings

from contacts.recipients import segment_numbers
from portal.core import tabular
from portal.core.phone_numbers import digits_of

SPLIT = re.compile(r"[\s,;]+")


def typed(value):
    """Numbers from a comma/space separated string or a list."""
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [n for n in SPLIT.split(str(value or "")) if n]


def from_file(upload):
    """The first column of a CSV upload, skipping a header and rows without digits."""
    reader = tabular.csv_rows(io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace", newline=""))
    return [row[0].strip() for row in reader if row and row[0].strip() and any(c.isdigit() for c in row[0])]


def resolve(account, *, numbers=(), files=(), segment_ids=None, channel="sms"):
    """Every recipient of a send, in order: typed numbers, then each file's, then the segments'
    members not unsubscribed on `channel` (ValidationFailed for a segment id that is not the
    account's). At most SEND_MAX_RECIPIENTS + 1 are read from segments, enough to refuse an
    oversized send without streaming a whole audience."""
    result = list(numbers)
    seen = {digits_of(n) for n in result}

    def add(candidates):
        for number in candidates:
            key = digits_of(number)
            if key not in seen:
                seen.add(key)
                result.append(number)

    for upload in files:
        add(from_file(upload))
    if segment_ids:
        add(islice(segment_numbers(account, segment_ids, channel=channel), settings.SEND_MAX_RECIPIENTS + 1))
    return result
