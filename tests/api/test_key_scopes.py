"""API key scopes: one permission class, a declared scope on every route, the holder's role as
the bound at every request, and the key + its holder recorded as the actor of API changes."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.api.permissions import ApiKeyScopePermission
from accounts.models import ApiKey, AuditEvent, LedgerEntry, LedgerKind, Role
from accounts.services import apikeys, credits, team
from portal.api.scopes import ANY_KEY, Scope, required_for
from portal.api.views import V2APIView
from portal.core.errors import DomainError
from tests.api.helpers import assert_unauthenticated, bearer
from tests.factories import make_account, make_key, make_member

CREDITS = "/api/v2/finance/credits"
ME = "/api/v2/auth/me"
SENDERS = "/api/v2/sms/senders"
# Routes that are not v2 endpoints: the published documentation, readable without a key.
NOT_KEYED = {"api_schema", "api_docs"}
METHODS = ("get", "post", "put", "patch", "delete")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def api_routes():
    """Every registered route served by a DRF view (the v2/v3 API and Engage's paths)."""
    for route, pattern in _walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
        if view_class is not None and issubclass(view_class, APIView) and pattern.name not in NOT_KEYED:
            yield route, view_class


def test_every_api_route_declares_a_scope_for_every_method_it_serves():
    routes = list(api_routes())
    assert len(routes) > 40  # the walk found the API, not an empty list
    undeclared = []
    for route, view_class in routes:
        assert issubclass(view_class, V2APIView), route
        assert view_class.permission_classes == [ApiKeyScopePermission], route
        for method in METHODS:
            if hasattr(view_class, method) and required_for(view_class, method.upper()) is None:
                undeclared.append(f"{method.upper()} {route}")
    assert undeclared == []


def test_the_walk_covers_engage_and_the_token_endpoints():
    routes = {route for route, _ in api_routes()}
    assert {"v1/messaging/sms", "notify", "api/v3/auth/token/generate", "api/v2/finance/credits"} <= routes


def test_a_method_without_a_declaration_is_refused_not_open(account):
    class Undeclared(V2APIView):
        required_scopes = {"GET": Scope.READ}

        def get(self, request):
            return self.ok()

        def post(self, request):
            return self.ok()

    secret = make_key(account)[1]
    factory = APIRequestFactory()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Undeclared.as_view()(factory.get("/x", **auth)).status_code == 200
    res = Undeclared.as_view()(factory.post("/x", **auth))
    assert res.status_code == 403
    assert res.data["message"] == "This endpoint declares no key scope for this method."


def test_a_misspelt_scope_fails_when_the_view_is_defined():
    with pytest.raises(ImproperlyConfigured, match="unknown scope 'sned'"):

        class Typo(V2APIView):
            required_scopes = {"POST": "sned"}


def test_head_follows_get_and_options_needs_any_key():
    class View(V2APIView):
        required_scopes = {"GET": Scope.READ, "POST": Scope.SEND}

    assert required_for(View, "HEAD") == (Scope.READ,)
    assert required_for(View, "OPTIONS") == ANY_KEY
    assert required_for(View, "DELETE") is None


# The finding: a developer's key moved reseller credits


@pytest.fixture
def reseller(db):
    parent, owner = make_account(credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent)
    return parent, owner, child


def test_a_developers_key_cannot_move_credits_even_with_every_scope(reseller):
    parent, _, child = reseller
    developer = make_member(parent, Role.DEVELOPER)
    key, secret = make_key(parent, actor=developer)
    ApiKey.objects.filter(pk=key.pk).update(scopes=list(Scope.values))  # e.g. a key from before scopes
    res = bearer(secret).post(CREDITS, {"username": child.username, "credits": "5"}, format="json")
    assert res.status_code == 403
    assert res.json() == {
        "status": "failed",
        "code": 403,
        "message": "This API key is not allowed to do this (it needs the credits scope, "
        "and a holder whose role allows it).",
    }
    assert credits.balance(parent) == Decimal("100") and credits.balance(child) == Decimal("0")


def test_an_owners_key_moves_credits_and_the_ledger_names_the_key_and_its_holder(reseller):
    parent, owner, child = reseller
    key, secret = make_key(parent, actor=owner)
    res = bearer(secret).post(CREDITS, {"username": child.username, "credits": "5"}, format="json")
    assert res.status_code == 200
    entries = LedgerEntry.objects.filter(kind__in=[LedgerKind.TRANSFER_OUT, LedgerKind.TRANSFER_IN])
    assert {(e.account_id, e.actor_id, e.api_key_id) for e in entries} == {
        (parent.pk, owner.pk, key.pk),
        (child.pk, owner.pk, key.pk),
    }
    events = AuditEvent.objects.filter(action="credits.transferred")
    assert {(e.actor_id, e.actor_email, e.api_key_id) for e in events} == {(owner.pk, owner.email, key.pk)}


def test_the_bound_is_the_holders_role_at_request_time(reseller):
    parent, owner, child = reseller
    admin = make_member(parent, Role.ADMIN)
    _, secret = make_key(parent, actor=admin)
    client = bearer(secret)
    body = {"username": child.username, "credits": "1"}
    assert client.post(CREDITS, body, format="json").status_code == 200

    team.change_role(membership=admin.memberships.get(), role=Role.ANALYST, actor=owner)
    assert client.post(CREDITS, body, format="json").status_code == 403
    assert client.post(SENDERS, {}, format="json").status_code == 403  # write is gone too
    assert client.get(SENDERS).status_code == 200  # reading stays
    assert client.get(ME).json()["data"]["token"]["scopes"] == ["read"]

    team.change_role(membership=admin.memberships.get(), role=Role.ADMIN, actor=owner)
    assert client.post(CREDITS, body, format="json").status_code == 200


def test_a_bearer_token_carries_the_same_bound(reseller):
    parent, _, child = reseller
    developer = make_member(parent, Role.DEVELOPER)
    _, secret = make_key(parent, actor=developer)
    jwt = bearer(secret).get("/api/v3/auth/token/generate").json()["access_token"]
    res = bearer(jwt).post(CREDITS, {"username": child.username, "credits": "1"}, format="json")
    assert res.status_code == 403


# Scopes chosen at creation


def test_a_send_only_key_sends_but_reads_nothing(account, owner):
    client = bearer(make_key(account, actor=owner, scopes=["send"])[1])
    assert client.get(SENDERS).status_code == 403
    assert client.get("/api/v2/contacts").status_code == 403
    assert client.post(SENDERS, {}, format="json").status_code == 403
    res = client.post("/api/v2/sms/send", {}, format="json")
    assert res.status_code == 422  # past the scope check: the body is what is wrong
    assert client.get(ME).status_code == 200  # describing itself needs no scope


def test_a_read_only_key_reads_but_changes_nothing(account, owner):
    client = bearer(make_key(account, actor=owner, scopes=["read"])[1])
    assert client.get(SENDERS).status_code == 200
    assert client.get("/api/v2/finance/balance").status_code == 200
    for method, path in [("post", SENDERS), ("post", "/api/v2/sms/send"), ("post", "/api/v2/developer/webhooks")]:
        assert getattr(client, method)(path, {}, format="json").status_code == 403, path
    assert client.get("/api/v2/sms/send", {"to": "919876543210"}).status_code == 403  # the legacy GET send


def test_an_otp_key_pushes_one_message_and_nothing_else(account, owner):
    client = bearer(make_key(account, actor=owner, scopes=["otp"])[1])
    assert client.post("/v1/messaging/sms", {}, format="json").status_code == 422  # Engage's validation
    assert client.post("/notify", {}, format="json").status_code == 403  # bulk is not OTP
    assert client.post("/api/v2/sms/send", {}, format="json").status_code == 403
    assert client.get(SENDERS).status_code == 403


def test_a_developer_cannot_grant_the_credits_scope(account):
    developer = make_member(account, Role.DEVELOPER)
    with pytest.raises(DomainError, match="Your role cannot grant the credits scope."):
        make_key(account, actor=developer, scopes=["send", "credits"])
    key, _ = make_key(account, actor=developer)  # "full" for a developer
    assert key.scopes == ["read", "send", "otp", "write", "webhooks"]
    assert key.holder == developer and key.created_by == developer


@pytest.mark.parametrize("scopes, message", [([], "Choose at least one scope."), (["root"], "Unknown scope: root.")])
def test_scopes_are_validated(account, owner, scopes, message):
    with pytest.raises(DomainError, match=message):
        make_key(account, actor=owner, scopes=scopes)


def test_someone_outside_the_account_cannot_create_its_keys(account, other_account):
    outsider = other_account.memberships.get().user
    with pytest.raises(DomainError, match="Only members of the account"):
        make_key(account, actor=outsider)


def test_a_platform_key_is_bounded_like_an_owners(account):
    key, secret = make_key(account)  # created without a member (createcustomer, seeds)
    assert key.holder is None
    scopes = bearer(secret).get(ME).json()["data"]["token"]["scopes"]
    assert scopes == ["read", "send", "otp", "write", "webhooks", "credits"]


# Every API change names the key and its holder


def test_an_api_change_is_audited_with_the_key_and_its_holder(account, owner):
    developer = make_member(account, Role.DEVELOPER)
    key, secret = make_key(account, actor=developer)
    res = bearer(secret).post(
        SENDERS,
        {"name": "ACMEAB", "service": "G", "country_code": "GB"},
        format="json",
    )
    assert res.status_code == 200, res.json()
    event = AuditEvent.objects.get(action="sender.created")
    assert (event.actor, event.actor_email, event.api_key) == (developer, developer.email, key)
    assert event.metadata["api_key"] == key.prefix


def test_the_audit_log_of_a_page_action_names_no_key(account, owner):
    apikeys.create_api_key(account=account, name="Page key", actor=owner)
    event = AuditEvent.objects.get(action="api_key.created")
    assert event.actor == owner and event.api_key is None


def test_a_key_whose_holder_left_is_refused(account, owner):
    developer = make_member(account, Role.DEVELOPER)
    _, secret = make_key(account, actor=developer)
    developer.memberships.get().delete()  # however the membership went away
    assert_unauthenticated(bearer(secret).get(ME))
