"""What one account may make the platform do per minute, beside the per-key request limit: every
send's recipients are counted against SEND_RECIPIENTS_PER_MINUTE (all channels, pages and API
alike). A request limit alone lets one key ask for 100,000 numbers in each of its requests; this
bounds the work those requests cause (number checks, scrubbing, rows, the answer), whether or not
any recipient is accepted.

A fixed one-minute window per account in the shared cache, like the request limit
(portal/api/throttling.py). The recipients of a request are counted before it is checked, and stay
counted when the request is refused afterwards: they were read, parsed and scrubbed all the same. A
request that would go over the budget is refused whole (nothing is sent), with the seconds until
the next window.
"""

import time

from django.conf import settings

from portal.core import counters
from portal.core.errors import TooManyRequests, ValidationFailed

WINDOW_SECONDS = 60


def limit():
    return settings.SEND_RECIPIENTS_PER_MINUTE


def reserve(account, count, *, clock=None):
    """Count `count` recipients against the account's budget; TooManyRequests when this minute's
    budget cannot take them (they are given back), ValidationFailed when no minute's could."""
    refusal = reserve_many([(account, count)], clock=clock)[0]
    if refusal is not None:
        raise refusal


def reserve_many(requests, *, clock=None):
    """`reserve()` for each (account, count), in order, with one round trip to the cache for all
    of them (sends committed together); returns each request's refusal (an exception) or None.
    Each answer is the one `reserve()` calls in that order would give: a refused request's
    recipients are given back, so the requests after it are counted without them."""
    allowed = limit()
    answers = [None] * len(requests)
    counted = []  # (position, key, count)
    now = (clock or time.time)()
    window = int(now // WINDOW_SECONDS)
    for position, (account, count) in enumerate(requests):
        if not allowed or count <= 0:
            continue
        if count > allowed:
            answers[position] = ValidationFailed(
                {"to": [f"At most {allowed:,} recipients can be sent to per minute; this request has {count:,}."]}
            )
            continue
        counted.append((position, f"recipients:{account.pk}:{window}", count))
    values = counters.incr_each([(key, count) for _, key, count in counted], timeout=WINDOW_SECONDS + 10)
    given_back = {}  # key -> recipients of earlier refused requests, no longer counted
    for (position, key, count), value in zip(counted, values, strict=True):
        if value - given_back.get(key, 0) > allowed:
            counters.decr(key, count)
            given_back[key] = given_back.get(key, 0) + count
            wait = int(WINDOW_SECONDS - now % WINDOW_SECONDS) + 1
            answers[position] = TooManyRequests(
                f"The account can send to {allowed:,} recipients per minute and this minute's are spent: "
                f"{count:,} more would exceed it. Try again in {wait} s.",
                retry_after=wait,
                field="to",
            )
    return answers
