"""What a tenant-isolation case declares (after NetBox's `ViewTestCases`: declare, don't rewrite).

A `Case` names a customer-owned model, how to make one for an account, and every operation that
addresses one object by id (`Op`: pages and API) and every list or query that could show it
(`Listing`). `tests/tenancy/test_isolation.py` runs the same checks over every case:

- another account's object is a 404 on every `Op` (the v2 error envelope on the API; pages with and
  without `HX-Request`), the object is left as it was and the response never shows its marker;
- the owner of the object gets no 404 on the same request (so the 404 is the tenancy's, not a
  wrong URL's);
- a page whose view requires a permission (read from `account_required`) is a 403 for every role
  of the owning account that lacks it;
- a `Listing` never shows another account's object, and does show the account's own.

URLs are URL names; `kwargs` maps each URL argument to an attribute path of the object (`"uuid"`,
`"contact_id"`) or to a callable `(obj, account) -> value`, where `account` is the requesting
account (`own(...)` builds an object of the requester's, for "my contact, their tag" routes).
`data` is a dict or such a callable.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CASES = []
# label -> why no case: rows no customer page or API addresses, or that are public by design.
EXEMPT = {}


@dataclass(frozen=True)
class Op:
    """One request that addresses the object: `GET`/`POST` (pages), or any method on the API."""

    method: str
    url: str
    kwargs: dict = field(default_factory=dict)
    data: Any = None
    api: bool = False
    # "404": the object is looked up by id (another account's is a 404).
    # "filter": the object comes in a body or a list of ids and another account's is just not
    # found (a 422 or no effect); the request must leave it untouched and never show it.
    lookup: str = "404"
    # For "filter" ops: the owner's own request changes the object (proves the op can touch it).
    changes: bool = False

    @property
    def label(self):
        return f"{'api ' if self.api else ''}{self.method} {self.url}"


@dataclass(frozen=True)
class Listing:
    """A list, export or query that shows objects of the requesting account only."""

    url: str
    kwargs: dict = field(default_factory=dict)
    query: Any = None
    api: bool = False

    @property
    def label(self):
        return f"{'api ' if self.api else ''}list {self.url}"


@dataclass(frozen=True)
class Case:
    model: type
    make: Callable  # (account, marker) -> obj; `marker` is a unique string the object shows
    ops: tuple = ()
    listings: tuple = ()
    marker: Callable = None  # obj -> the string its pages and lists show; default: the marker given
    # Run on both accounts before anything else (e.g. make them resellers).
    prepare: Callable = None
    name: str = ""

    @property
    def label(self):
        return self.name or self.model._meta.label


def register(case):
    CASES.append(case)
    return case


def exempt(label, reason):
    EXEMPT[label] = reason


def own(factory, owner_path=None):
    """A URL argument built from an object of the requesting account: factory(account) -> value.

    For "my contact, their identifier" routes. With `owner_path`, the object's own account
    (the owner's control request) uses that attribute of the object instead: its real parent.
    """

    def value(obj, account):
        if owner_path is not None and obj_account_id(obj) == account.pk:
            return resolve_value(owner_path, obj, account)
        return factory(account)

    return value


def obj_account_id(obj):
    return obj.parent_id if obj._meta.label == "accounts.Account" else obj.account_id


def resolve_value(spec, obj, account):
    if callable(spec):
        return spec(obj, account)
    value = obj
    for part in spec.split("."):
        value = getattr(value, part)
    return value
