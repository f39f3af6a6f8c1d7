"""The per-pair rate (business number, customer) enforced before sending, so the provider's
131056 ("too many messages to this customer in a short time") is not what slows us down.

Meta allows about one message every 6 seconds per pair, with bursts (up to 45 within 6 s) paid
back afterwards. That is modelled as fixed windows, each a (limit, seconds) bound that must all
hold: by default at most 45 in any 6-second window and at most 45 in any 270-second window
(45 × 6 s: the steady rate once a burst is spent). A message that does not fit now gets the
start of the first window with room: it is delayed, never failed. The counts live in the shared
cache (`portal.core.counters`), so every worker draws from one budget per pair.
"""

import time

from django.conf import settings

from portal.core import counters

# How far ahead a slot is looked for; past it the message goes at the horizon (the provider
# then answers 131056 at worst, which is reported like any refusal).
HORIZON_SECONDS = 3600


def _key(phone_number_id, customer, seconds, index):
    return f"wa-pair:{phone_number_id}:{customer}:{seconds}:{index}"


def _limits():
    return [(int(limit), int(seconds)) for limit, seconds in settings.WHATSAPP["pair_limits"]]


def reserve(phone_number_id, customer, now=None):
    """Reserve the earliest slot for one message to `customer`; returns when it may go (a
    `time.time()` value, `now` when it fits at once)."""
    limits = _limits()
    now = time.time() if now is None else now
    at = now
    while at - now < HORIZON_SECONDS:
        taken, blocked = [], None
        for limit, seconds in limits:
            key = _key(phone_number_id, customer, seconds, int(at // seconds))
            used = counters.incr(key, 1, timeout=seconds * 2 + 1 + int(at - now))
            taken.append(key)
            if used > limit:
                blocked = seconds
                break
        if blocked is None:
            return at
        # give the partial reservation back and try the blocking window's next one
        counters.decr_many(dict.fromkeys(taken, 1))
        at = (int(at // blocked) + 1) * blocked
    return at


def schedule(phone_number_id, customers, now=None):
    """When each of `customers` (one entry per message, in order) may be sent. Most customers
    have one message in a chunk: their slots are counted in one round trip; only a customer over
    a window's limit is reserved message by message."""
    now = time.time() if now is None else now
    limits = _limits()
    counts = {}
    for c in customers:
        counts[c] = counts.get(c, 0) + 1
    amounts = {}
    for c, n in counts.items():
        for _limit, seconds in limits:
            amounts[_key(phone_number_id, c, seconds, int(now // seconds))] = n
    longest = max((seconds for _limit, seconds in limits), default=1)
    used = counters.incr_many(amounts, timeout=longest * 2 + 1)
    over, give_back = set(), {}
    for c, n in counts.items():
        keys = [(_key(phone_number_id, c, s, int(now // s)), limit) for limit, s in limits]
        if any(used[key] > limit for key, limit in keys):
            over.add(c)
            give_back.update((key, n) for key, _limit in keys)
    if give_back:
        counters.decr_many(give_back)
    return [reserve(phone_number_id, c, now) if c in over else now for c in customers]
