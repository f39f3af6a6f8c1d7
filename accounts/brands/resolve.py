"""Which brand a host name, or an account, belongs to: one cached lookup per request.

The process keeps what it looked up (host -> brand, account -> brand) and compares a version
stamp in the shared cache with its own; any change to a brand, a domain or an account's place in
the reseller tree writes a new stamp (signals.py) and empties this process's copy at once, the
other processes' at their next comparison. The stamp is read at most every
BRAND_CACHE_CHECK_SECONDS (0: on every request), so a cached request makes no network call.
"""

import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http.request import split_domain_port, validate_host

from accounts.brands.models import PLATFORM_SLUG, Brand, BrandDomain, DomainStatus, Module
from accounts.models import Account

VERSION_KEY = "brands:version"
SERVED = (DomainStatus.VERIFIED, DomainStatus.FAILING)

_lock = threading.Lock()
_state = {"version": None, "checked": 0.0, "hosts": {}, "accounts": {}, "brands": {}, "served": None}


def bump():
    """Invalidate every process's brand lookups (call after a change that affects them)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    with _lock:
        _state["version"] = None


def _fresh():
    """The process copy, emptied when the shared stamp changed since it was filled."""
    now = time.monotonic()
    if _state["version"] is not None and now - _state["checked"] < settings.BRAND_CACHE_CHECK_SECONDS:
        return _state
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    if version != _state["version"]:
        with _lock:
            _state.update(version=version, hosts={}, accounts={}, brands={}, served=None)
    _state["checked"] = now
    return _state


def forget():
    """Drop this process's copy (tests do between cases; the shared stamp is left alone)."""
    with _lock:
        _state["version"] = None


def platform_brand():
    """The brand of the platform's own host names, made from the settings (no row, no query):
    its name is SITE_NAME, it sells every product and module."""
    return Brand(slug=PLATFORM_SLUG, name=settings.SITE_NAME, modules=list(Module.values))


def normalise_host(raw):
    """`Host` header -> the lower-case host name without port or trailing dot ("" when malformed)."""
    domain, _port = split_domain_port(raw or "")
    return domain.rstrip(".").lower()


def brand_for_host(host):
    """The brand served on `host` (already normalised), or None for a host nobody serves."""
    if validate_host(host, settings.PLATFORM_HOSTS):
        return platform_brand()
    state = _fresh()
    hosts = state["hosts"]
    if host in hosts:
        brand_id = hosts[host]  # None: nobody serves it
        return None if brand_id is None else _brand_by_id(brand_id)
    domain = BrandDomain.objects.select_related("brand").filter(host=host, status__in=SERVED).first()
    hosts[host] = domain.brand_id if domain else None
    if domain is None:
        return None
    state["brands"][domain.brand_id] = domain.brand
    return domain.brand


def served_hosts():
    """Every brand domain served now (verified or failing), one query per version: the TLS
    `ask` answers from this set, so a flood of made-up names neither queries the database nor
    grows a per-host cache."""
    state = _fresh()
    served = state["served"]
    if served is None:
        served = frozenset(BrandDomain.objects.filter(status__in=SERVED).values_list("host", flat=True))
        state["served"] = served
    return served


def _brand_by_id(brand_id):
    brands = _fresh()["brands"]
    if brand_id not in brands:
        brands[brand_id] = Brand.objects.filter(pk=brand_id).first() or platform_brand()
    return brands[brand_id]


def brand_for_account(account):
    """The brand `account` works under: the one assigned to it, else the nearest ancestor's own
    brand (a reseller's brand covers the accounts below it) or assigned one, else the platform's.
    A reseller itself stays a customer of the brand above it."""
    if account is None:
        return platform_brand()
    accounts = _fresh()["accounts"]
    if account.pk not in accounts:
        accounts[account.pk] = _inherited_brand_id(account)
    brand_id = accounts[account.pk]
    return _brand_by_id(brand_id) if brand_id else platform_brand()


def _inherited_brand_id(account):
    current, seen = account.pk, set()
    while current and current not in seen:
        if seen:  # an ancestor: its own brand covers this subtree
            owned = Brand.objects.filter(account_id=current).order_by("pk").values_list("pk", flat=True).first()
            if owned:
                return owned
        seen.add(current)
        row = Account.objects.filter(pk=current).values("brand_id", "parent_id").first()
        if row is None:
            return None
        if row["brand_id"]:
            return row["brand_id"]
        current = row["parent_id"]
    return None


def admits(brand, account):
    """Whether `account` may work under `brand`'s hosts: the platform's hosts admit everyone,
    a brand's hosts the accounts of that brand and the reseller that owns it."""
    if brand is None or brand.is_default:
        return True
    return brand.account_id == account.pk or brand_for_account(account).pk == brand.pk


def accounts_of(brand):
    """The accounts working under `brand` (uncached; for reports): those it is assigned to and
    the reseller's subtree, each with the accounts below it that have no brand of their own."""
    if brand is None or not brand.pk:
        return Account.objects.none()
    owned_by_others = set(Brand.objects.exclude(pk=brand.pk).exclude(account=None).values_list("account_id", flat=True))
    frontier = set(Account.objects.filter(brand=brand).values_list("pk", flat=True))
    if brand.account_id:
        frontier |= set(Account.objects.filter(parent_id=brand.account_id, brand=None).values_list("pk", flat=True))
    found = set(frontier)
    while frontier:
        # A reseller with a brand of its own stays here; the accounts below it are its brand's.
        parents = frontier - owned_by_others
        children = set(
            Account.objects.filter(parent_id__in=parents, brand=None).exclude(pk__in=found).values_list("pk", flat=True)
        )
        found |= children
        frontier = children
    return Account.objects.filter(pk__in=found)
