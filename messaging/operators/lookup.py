"""The operator of each number, for the accept path: the prefix table is held in memory per
process (reloaded when staff change it: a version in the cache, checked at most every few
seconds), the longest prefix of the number's country wins, and ported numbers (read once per
batch, only when any exist) override it. A number of a country without ranges has operator ""."""

import time

from django.core.cache import cache

from messaging.operators.models import OperatorPrefix, PortedNumber

_VERSION_KEY = "operators:version"
RECHECK_SECONDS = 5
PORTED_CHUNK = 5000


class _Table:
    version = object()
    checked = 0.0
    by_iso = {}  # iso -> (prefix lengths, longest first; {prefix: operator})
    has_ported = False


def changed():
    """Staff changed prefixes or ported numbers: every process reloads before its next batch."""
    cache.set(_VERSION_KEY, time.time_ns(), None)
    _Table.checked = 0.0


def _table():
    now = time.monotonic()
    if now - _Table.checked >= RECHECK_SECONDS:
        version = cache.get(_VERSION_KEY, 0)
        if version != _Table.version:
            by_iso = {}
            for iso, prefix, operator in OperatorPrefix.objects.values_list("iso", "prefix", "operator"):
                by_iso.setdefault(iso, {})[prefix] = operator
            _Table.by_iso = {
                iso: (sorted({len(p) for p in prefixes}, reverse=True), prefixes) for iso, prefixes in by_iso.items()
            }
            _Table.has_ported = PortedNumber.objects.exists()
            _Table.version = version
        _Table.checked = now
    return _Table


def operator_of(mobile, iso, table=None):
    table = table or _table()
    found = table.by_iso.get(iso)
    if found is None:
        return ""
    lengths, prefixes = found
    for length in lengths:
        operator = prefixes.get(mobile[:length])
        if operator is not None:
            return operator
    return ""


def operators(pairs):
    """The operator of each (mobile, iso), in order."""
    operator = resolver({mobile for mobile, _ in pairs})
    return [operator(mobile, iso) for mobile, iso in pairs]


def resolver(mobiles):
    """A function (mobile, iso) -> operator for numbers among `mobiles`. The ported ones among
    them are read now, so the function runs no query: it can be called while a COPY holds the
    connection."""
    table = _table()
    if not table.by_iso and not table.has_ported:
        return _none
    ported = {}
    if table.has_ported:
        mobiles = list(mobiles)
        for start in range(0, len(mobiles), PORTED_CHUNK):
            chunk = mobiles[start : start + PORTED_CHUNK]
            ported.update(PortedNumber.objects.filter(mobile__in=chunk).values_list("mobile", "operator"))

    def operator(mobile, iso):
        name = ported.get(mobile)
        return operator_of(mobile, iso, table) if name is None else name

    return operator


def _none(mobile, iso):
    return ""
