"""API keys page: create with a whitelist (secret once), list, search, revoke."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey, AuditEvent, Role
from tests.factories import make_key, make_member

HX = {"HTTP_HX_REQUEST": "true"}


def test_creating_a_key_shows_the_secret_once(user_client, account):
    res = user_client.post(
        "/developers/api-keys/create/", {"name": "Server", "ip_whitelist": "203.0.113.0/24\n2001:db8::1"}
    )
    assert res.status_code == 200
    key = ApiKey.objects.get(account=account, name="Server")
    html = res.content.decode()
    secret = html.split('id="new-key-secret">')[1].split("<")[0]
    assert secret.startswith(key.prefix)
    assert key.ip_whitelist == ["203.0.113.0/24", "2001:db8::1/128"]
    assert secret not in user_client.get("/developers/api-keys/").content.decode()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v2/auth/me", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert AuditEvent.objects.filter(action="api_key.created", account=account).exists()


def test_the_htmx_create_returns_the_secret_out_of_band(user_client):
    res = user_client.post("/developers/api-keys/create/", {"name": "CI"}, **HX)
    html = res.content.decode()
    assert 'id="key-secret" hx-swap-oob="true"' in html and 'id="key-table"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"name": "x", "ip_whitelist": "300.1.1.1"}, "300.1.1.1 is not an IP address"),
    ],
)
def test_bad_input_is_shown_inline(user_client, account, data, message):
    res = user_client.post("/developers/api-keys/create/", data, **HX)
    assert res.status_code == 422 and message in res.content.decode()
    assert not ApiKey.objects.filter(account=account).exists()


def test_revoking_a_key_stops_it(user_client, account):
    key, secret = make_key(account, name="Old")
    res = user_client.post(f"/developers/api-keys/{key.uuid}/revoke/", **HX)
    assert res.status_code == 200 and "Revoked" in res.content.decode()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v2/auth/me").status_code == 401


def test_the_list_searches_and_caps_queries(user_client, account, django_assert_max_num_queries):
    for i in range(30):
        make_key(account, name=f"key {i}")
    with django_assert_max_num_queries(12):
        res = user_client.get("/developers/api-keys/?q=key 2", **HX)
    assert res.content.decode().count("<tr>") == 12  # header + "key 2", "key 20".."key 29"


def test_another_accounts_key_is_404(user_client, other_account):
    key, _ = make_key(other_account, name="Foreign secret key")
    assert user_client.post(f"/developers/api-keys/{key.uuid}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    assert "Foreign secret key" not in user_client.get("/developers/api-keys/").content.decode()


def test_analysts_cannot_manage_keys(client, account):
    client.force_login(make_member(account, Role.ANALYST))
    assert client.get("/developers/api-keys/").status_code == 403
    assert client.post("/developers/api-keys/create/", {"name": "x"}).status_code == 403


def test_developers_can_manage_keys(client, account):
    client.force_login(make_member(account, Role.DEVELOPER))
    assert client.get("/developers/api-keys/").status_code == 200


# Scopes


@pytest.mark.parametrize(
    ("data", "scopes"),
    [
        ({"access": "full"}, ["read", "send", "otp", "write", "webhooks", "credits"]),
        ({"access": "send"}, ["send"]),
        ({"access": "read"}, ["read"]),
        ({"access": "otp"}, ["otp"]),
        ({"access": "custom", "scopes": ["read", "webhooks"]}, ["read", "webhooks"]),
    ],
)
def test_the_owner_chooses_the_scopes(user_client, account, owner, data, scopes):
    res = user_client.post("/developers/api-keys/create/", {"name": "Scoped", **data}, **HX)
    assert res.status_code == 200
    key = ApiKey.objects.get(account=account, name="Scoped")
    assert key.scopes == scopes and key.holder == owner and key.created_by == owner


def test_custom_access_needs_a_scope(user_client, account):
    res = user_client.post("/developers/api-keys/create/", {"name": "None", "access": "custom"}, **HX)
    assert res.status_code == 422 and "Choose at least one scope." in res.content.decode()
    assert not ApiKey.objects.filter(account=account).exists()


def test_the_form_offers_a_developer_only_what_the_role_may_grant(client, account):
    client.force_login(make_member(account, Role.DEVELOPER))
    html = client.get("/developers/api-keys/").content.decode()
    assert 'value="send"' in html and 'name="scopes" value="credits"' not in html
    res = client.post(
        "/developers/api-keys/create/", {"name": "Sneaky", "access": "custom", "scopes": ["credits"]}, **HX
    )
    assert res.status_code == 422
    assert not ApiKey.objects.filter(account=account, name="Sneaky").exists()


def test_the_table_shows_scopes_creator_and_what_the_role_suspends(user_client, account, owner):
    developer = make_member(account, Role.DEVELOPER, email="dev@example.com")
    key, _ = make_key(account, name="Dev key", actor=developer, scopes=["read", "send"])
    ApiKey.objects.filter(pk=key.pk).update(scopes=["read", "send", "credits"])  # from before scopes existed
    html = user_client.get("/developers/api-keys/").content.decode()
    row = html.split("Dev key")[1].split("</tr>")[0]
    assert '<span class="badge">read</span>' in row and '<span class="badge">send</span>' in row
    assert '<span class="badge badge-muted">credits</span>' in row and "Not usable now (credits)" in row
    assert "dev@example.com" in row


def test_a_wide_range_needs_the_confirm_box(user_client, account):
    data = {"name": "Open", "ip_whitelist": "127.0.0.1:8000/0"}
    res = user_client.post("/developers/api-keys/create/", data, **HX)
    assert res.status_code == 422 and "carries a port" in res.content.decode()
    data["ip_whitelist"] = "0.0.0.0/0"
    res = user_client.post("/developers/api-keys/create/", data, **HX)
    assert res.status_code == 422 and "Confirm wide ranges to keep it." in res.content.decode()
    assert 'name="confirm_wide_ranges"' in res.content.decode()
    assert not ApiKey.objects.filter(account=account).exists()
    res = user_client.post("/developers/api-keys/create/", {**data, "confirm_wide_ranges": "on"}, **HX)
    assert res.status_code == 200
    assert ApiKey.objects.get(account=account, name="Open").ip_whitelist == ["0.0.0.0/0"]
