"""One recipient resolver for every composer and endpoint: typed numbers, uploaded files and
segments, counted together and deduplicated across them.

Typed numbers are kept as given (the v2 answer has one row per listed number, and a number listed
twice is answered DUPLICATE by scrubbing); numbers from files and segments are added only when no
earlier source already has them.
"""

from itertools import islice

from django.conf import settings

from contacts.recipients import segment_numbers
from portal.core.audience import from_file, typed
from portal.core.phone_numbers import digits_of

__all__ = ["from_file", "from_segments", "resolve", "typed"]  # typed/from_file: portal.core.audience


def from_segments(account, segment_ids, *, channel="sms"):
    """The segments' members not unsubscribed on `channel` (ValidationFailed for a segment id that
    is not the account's), at most SEND_MAX_RECIPIENTS + 1: enough to refuse an oversized send
    without streaming a whole audience."""
    return islice(segment_numbers(account, segment_ids, channel=channel), settings.SEND_MAX_RECIPIENTS + 1)


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
        add(from_segments(account, segment_ids, channel=channel))
    return result
