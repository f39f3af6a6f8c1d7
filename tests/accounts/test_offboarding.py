"""Removing a member decides the fate of their API keys: revoked by default, or handed over."""

import pytest

from accounts.models import AuditEvent, Membership, Role
from accounts.services import team
from portal.core.errors import DomainError
from tests.api.helpers import assert_unauthenticated, bearer
from tests.factories import make_key, make_member

HX = {"HTTP_HX_REQUEST": "true"}
ME = "/api/v2/auth/me"


@pytest.fixture
def leaver(account):
    user = make_member(account, Role.DEVELOPER, email="leaver@example.com")
    key, secret = make_key(account, name="Shop plugin", actor=user)
    return user, Membership.objects.get(account=account, user=user), key, secret


def test_the_removal_dialog_lists_the_members_keys_and_who_may_take_them(user_client, account, owner, leaver):
    user, membership, key, _ = leaver
    admin = make_member(account, Role.ADMIN, email="admin@example.com")
    make_member(account, Role.ANALYST, email="analyst@example.com")
    res = user_client.get(f"/team/members/{membership.pk}/remove/", **HX)
    assert res.status_code == 200
    html = res.content.decode()
    assert "Shop plugin" in html and key.prefix in html
    assert f'name="key-{key.uuid}"' in html and '<option value="revoke" selected>' in html
    assert f"Transfer to {owner.email}" in html and f"Transfer to {admin.email}" in html
    assert "analyst@example.com" not in html and "Transfer to leaver@example.com" not in html


def test_the_full_page_works_without_javascript(user_client, leaver):
    res = user_client.get(f"/team/members/{leaver[1].pk}/remove/")
    assert res.status_code == 200 and "<html" in res.content.decode() and "Shop plugin" in res.content.decode()


def test_removal_revokes_the_keys_by_default(user_client, account, leaver):
    user, membership, key, secret = leaver
    assert bearer(secret).get(ME).status_code == 200
    res = user_client.post(f"/team/members/{membership.pk}/remove/", **HX)
    assert res.status_code == 200 and res["HX-Trigger"] == "closeDialog"
    assert not Membership.objects.filter(pk=membership.pk).exists()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert_unauthenticated(bearer(secret).get(ME))
    event = AuditEvent.objects.get(action="team.removed", account=account)
    assert event.metadata == {"keys_revoked": 1, "keys_transferred": 0}
    assert AuditEvent.objects.filter(action="api_key.revoked", target=str(key)).exists()


def test_a_transferred_key_keeps_working_for_its_new_holder(user_client, account, owner, leaver):
    user, membership, key, secret = leaver
    admin = make_member(account, Role.ADMIN)
    heir = Membership.objects.get(account=account, user=admin)
    res = user_client.post(f"/team/members/{membership.pk}/remove/", {f"key-{key.uuid}": str(heir.pk)})
    assert res.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is None and key.holder == admin and key.created_by == user and key.transferred_at
    assert bearer(secret).get(ME).status_code == 200
    event = AuditEvent.objects.get(action="api_key.transferred")
    assert event.actor == owner and event.metadata["holder"] == admin.email
    assert event.metadata["previous_holder"] == user.email
    page = user_client.get("/developers/api-keys/").content.decode()
    assert "leaver@example.com" in page and f"Transferred to {admin.email}" in page


def test_the_new_holders_role_bounds_a_transferred_key(account, owner):
    admin = make_member(account, Role.ADMIN)
    key, secret = make_key(account, actor=admin)
    assert "credits" in key.scopes
    developer = make_member(account, Role.DEVELOPER)
    team.remove_member(membership=admin.memberships.get(), actor=owner, transfers={key.uuid: developer})
    assert bearer(secret).get(ME).json()["data"]["token"]["scopes"] == ["read", "send", "otp", "write", "webhooks"]


def test_a_key_cannot_go_to_someone_who_may_not_manage_keys(user_client, account, leaver):
    user, membership, key, _ = leaver
    analyst = Membership.objects.get(account=account, user=make_member(account, Role.ANALYST))
    res = user_client.post(f"/team/members/{membership.pk}/remove/", {f"key-{key.uuid}": str(analyst.pk)}, **HX)
    assert res.status_code == 422 and "Choose who takes over each key." in res.content.decode()
    assert res["HX-Retarget"] == "#member-remove"
    assert Membership.objects.filter(pk=membership.pk).exists()
    key.refresh_from_db()
    assert key.revoked_at is None
    with pytest.raises(DomainError, match="who can manage API keys"):
        team.remove_member(membership=membership, actor=None, transfers={key.uuid: analyst.user})
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_key_cannot_be_transferred_to_another_accounts_member(user_client, other_account, leaver):
    user, membership, key, _ = leaver
    foreign = other_account.memberships.get()
    res = user_client.post(f"/team/members/{membership.pk}/remove/", {f"key-{key.uuid}": str(foreign.pk)}, **HX)
    assert res.status_code == 422
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_other_members_keys_are_untouched(user_client, account, owner, leaver):
    own_key, own_secret = make_key(account, name="Owner key", actor=owner)
    user_client.post(f"/team/members/{leaver[1].pk}/remove/", **HX)
    own_key.refresh_from_db()
    assert own_key.revoked_at is None and bearer(own_secret).get(ME).status_code == 200


def test_leaving_yourself_asks_about_your_keys_too(client, account):
    admin = make_member(account, Role.ADMIN)
    key, _ = make_key(account, name="My script", actor=admin)
    client.force_login(admin)
    membership = Membership.objects.get(account=account, user=admin)
    html = client.get(f"/team/members/{membership.pk}/remove/", **HX).content.decode()
    assert "You hold 1 active API key." in html and "My script" in html
    res = client.post(f"/team/members/{membership.pk}/remove/", **HX)
    assert res["HX-Redirect"] == "/"
    key.refresh_from_db()
    assert key.revoked_at is not None
