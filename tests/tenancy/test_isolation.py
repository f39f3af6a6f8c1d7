"""The generic tenant-isolation test: every case of tests/tenancy/cases_*.py gets the same checks.

See tests/tenancy/registry.py for what a case declares. Adding a customer-owned model means adding
a case (or an exemption with its reason); `test_every_tenant_model_has_a_case_or_a_reason` fails
until one of them is there, and `test_every_route_with_an_id_is_covered` until its id routes are.
"""

import random
import string
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.models import ROLE_PERMISSIONS, Account, Role
from portal.api.views import V2APIView
from portal.core.tenancy import TenantQuerySet
from tests.factories import make_account, make_key, make_member
from tests.tenancy import (  # noqa: F401  (they register the cases)
    cases_accounts,
    cases_contacts,
    cases_messaging,
    cases_reports,
    cases_voice,
    cases_whatsapp,
)
from tests.tenancy.registry import CASES, EXEMPT, resolve_value

NOT_FOUND = {"status": "failed", "code": 404, "message": "Not Found."}
HTMX = {"HTTP_HX_REQUEST": "true"}

# Routes with an id that no case needs to cover, and why.
EXEMPT_ROUTES = {
    "accounts:invitation_accept": "addressed by the invitation's secret token, not an id; public by design",
    "links:follow": "public short-link redirect by code (links.Link is exempt)",
    "suppressions:import_start": "<what> is an import kind (a fixed word), not an object id",
    "voice:audio": "a signed, expiring token names the recording or sound; public by design (docs/voice.md)",
}


def _routes(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _callback(name):
    found = [p.callback for n, p in _routes() if n == name]
    assert found, f"no route named {name}"
    return found[0]


def _lacking_roles(url_name):
    """The roles of an account that the page's `account_required(permission)` turns away."""
    permission = getattr(_callback(url_name), "required_permission", None)
    if permission is None:
        return []
    return [role for role in Role if permission not in ROLE_PERMISSIONS[role]]


def _params(kind):
    out = []
    for case in CASES:
        for i, item in enumerate(case.ops if kind != "listing" else case.listings):
            if kind == "listing" or item.lookup == kind:
                out.append(pytest.param(case, item, id=f"{case.label}-{i}-{item.label}"))
    return out


def _permission_params():
    out = []
    for case in CASES:
        for i, item in enumerate((*case.ops, *case.listings)):
            if not item.api and _lacking_roles(item.url):
                out.append(pytest.param(case, item, id=f"{case.label}-{i}-{item.label}"))
    return out


def _marker():
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=9))  # noqa: S311 - a test label


@dataclass
class Tenant:
    account: Account
    client: Client
    api: APIClient


def _tenant():
    account, owner = make_account(credits_amount="100")
    client = Client()
    client.force_login(owner)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(account)[1]}")
    return Tenant(account, client, api)


@pytest.fixture
def tenants(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DATA_DIR = tmp_path
    return _tenant(), _tenant()


def _made(case, mine, theirs):
    for tenant in (mine, theirs):
        if case.prepare:
            case.prepare(tenant.account)
    marker = _marker()
    obj = case.make(theirs.account, marker)
    return obj, (case.marker(obj) if case.marker else marker)


def _url(item, obj, account):
    kwargs = {key: resolve_value(spec, obj, account) for key, spec in item.kwargs.items()}
    return reverse(item.url, kwargs=kwargs)


def _data(spec, obj, account):
    return spec(obj, account) if callable(spec) else spec


def _send(tenant, method, url, data=None, *, api=False, htmx=False):
    extra = HTMX if htmx else {}
    if api:
        if method == "GET":
            return tenant.api.get(url, data)
        return getattr(tenant.api, method.lower())(url, data, format="json")
    if method == "GET":
        return tenant.client.get(url, data or {}, **extra)
    return getattr(tenant.client, method.lower())(url, data or {}, **extra)


def _body(response):
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode(errors="replace")


def _snapshot(obj):
    return type(obj)._base_manager.filter(pk=obj.pk).values().first()


def _variants(item):
    return [False] if item.api else [False, True]


@pytest.mark.parametrize(("case", "op"), _params("404"))
def test_another_accounts_object_is_404(tenants, case, op):
    mine, theirs = tenants
    obj, marker = _made(case, mine, theirs)
    before = _snapshot(obj)
    for htmx in _variants(op):
        url = _url(op, obj, mine.account)
        res = _send(mine, op.method, url, _data(op.data, obj, mine.account), api=op.api, htmx=htmx)
        assert res.status_code == 404, f"{op.method} {url} (HTMX: {htmx}) answered {res.status_code}"
        if op.api:
            assert res.json() == NOT_FOUND
        assert marker not in _body(res)
    assert _snapshot(obj) == before, "another account's request changed the object"
    # The owner's own request is not a 404: the 404 above is the tenancy's, not a wrong URL's.
    url = _url(op, obj, theirs.account)
    res = _send(theirs, op.method, url, _data(op.data, obj, theirs.account), api=op.api)
    assert res.status_code != 404 and res.status_code < 500, f"owner: {op.method} {url} -> {res.status_code}"


@pytest.mark.parametrize(("case", "op"), _params("filter"))
def test_requests_naming_another_accounts_object_leave_it_alone(tenants, case, op):
    mine, theirs = tenants
    obj, marker = _made(case, mine, theirs)
    before = _snapshot(obj)
    for htmx in _variants(op):
        url = _url(op, obj, mine.account)
        res = _send(mine, op.method, url, _data(op.data, obj, mine.account), api=op.api, htmx=htmx)
        assert res.status_code < 500
        assert marker not in _body(res)
    assert _snapshot(obj) == before, "another account's request changed the object"
    url = _url(op, obj, theirs.account)
    res = _send(theirs, op.method, url, _data(op.data, obj, theirs.account), api=op.api)
    assert res.status_code < 500
    if op.changes:
        assert _snapshot(obj) != before, "the owner's own request should have changed it (is the case right?)"


@pytest.mark.parametrize(("case", "item"), _permission_params())
def test_roles_lacking_the_pages_permission_get_403(tenants, case, item):
    mine, theirs = tenants
    obj, marker = _made(case, mine, theirs)
    before = _snapshot(obj)
    method = getattr(item, "method", "GET")
    for role in _lacking_roles(item.url):
        member = Client()
        member.force_login(make_member(theirs.account, role=role))
        tenant = Tenant(theirs.account, member, None)
        url = _url(item, obj, theirs.account)
        data = _data(getattr(item, "data", None) or getattr(item, "query", None), obj, theirs.account)
        for htmx in (False, True):
            res = _send(tenant, method, url, data, htmx=htmx)
            assert res.status_code == 403, f"{role}: {method} {url} (HTMX: {htmx}) answered {res.status_code}"
            assert marker not in _body(res)
    assert _snapshot(obj) == before


@pytest.mark.parametrize(("case", "listing"), _params("listing"))
def test_lists_show_only_the_accounts_own_objects(tenants, case, listing):
    mine, theirs = tenants
    obj, marker = _made(case, mine, theirs)
    url = _url(listing, obj, mine.account)
    for htmx in _variants(listing):
        res = _send(mine, "GET", url, _data(listing.query, obj, mine.account), api=listing.api, htmx=htmx)
        assert res.status_code == 200
        assert marker not in _body(res), f"{url} shows another account's {case.label}"
    res = _send(theirs, "GET", url, _data(listing.query, obj, theirs.account), api=listing.api)
    assert res.status_code == 200 and marker in _body(res), "the owner's list should show it (is the marker right?)"


# Meta: nothing customer-owned or id-addressed is forgotten.


def _tenant_models():
    for model in apps.get_models():
        owned = isinstance(model._default_manager.all(), TenantQuerySet)
        has_account = any(
            f.is_relation and f.many_to_one and f.related_model is Account for f in model._meta.concrete_fields
        )
        if owned or has_account:
            yield model._meta.label


def test_every_tenant_model_has_a_case_or_a_reason():
    covered = {case.model._meta.label for case in CASES}
    models = set(_tenant_models())
    assert models - covered - set(EXEMPT) == set(), "add a case in tests/tenancy/cases_*.py, or exempt() it"
    assert covered & set(EXEMPT) == set()
    assert set(EXEMPT) <= models, "stale exemption"
    assert all(reason.strip() for reason in EXEMPT.values())


def test_every_case_has_something_to_check():
    for case in CASES:
        assert case.ops or case.listings, case.label


def _id_routes():
    """Customer pages and API endpoints whose path carries an argument (an object id)."""
    for name, pattern in _routes():
        if not pattern.pattern.converters:
            continue
        callback = pattern.callback
        view_class = getattr(callback, "view_class", None)
        page = hasattr(callback, "required_permission")  # account_required
        endpoint = view_class is not None and issubclass(view_class, V2APIView)
        ours = getattr(callback, "__module__", "").split(".")[0] in ("contacts", "messaging", "accounts", "voice")
        if page or endpoint or ours:
            yield name


def test_every_route_with_an_id_is_covered():
    covered = {item.url for case in CASES for item in (*case.ops, *case.listings)}
    # Staff pages (staff_required) are the documented cross-account reads.
    staff = {
        name
        for name in _id_routes()
        if name.split(":")[0]
        in ("staff", "review", "pricing", "connectors", "whatsapp_staff", "staff_reports", "operators")
    }
    missing = set(_id_routes()) - covered - set(EXEMPT_ROUTES) - staff
    assert missing == set(), "add an Op for it to a case in tests/tenancy/cases_*.py"
    assert set(EXEMPT_ROUTES) <= {name for name, _ in _routes()}, "stale route exemption"
