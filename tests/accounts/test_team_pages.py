"""Team page: invitations, roles, removal; an account always keeps an owner."""

import re

import pytest
from django.core import mail

from accounts.models import AuditEvent, Invitation, Membership, Role
from tests.factories import PASSWORD, make_member

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post an invitation and run its on-commit e-mail."""

    def post(client, email, role="developer", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/team/invite/", {"email": email, "role": role}, **extra)

    return post


def test_the_team_page_lists_members_and_invitations(
    user_client, account, owner, django_assert_max_num_queries, invite
):
    make_member(account, Role.ANALYST, email="ana@example.com")
    invite(user_client, "new@example.com", "developer")
    with django_assert_max_num_queries(15):
        res = user_client.get("/team/")
    html = res.content.decode()
    assert res.status_code == 200
    assert owner.email in html and "ana@example.com" in html and "new@example.com" in html


def test_the_htmx_request_gets_the_fragment(user_client):
    res = user_client.get("/team/", **HX)
    assert res.content.decode().startswith('<div id="team-tables">')


def test_an_invitation_is_emailed_and_audited(user_client, account, invite):
    res = invite(user_client, "Dev@Example.com", "developer")
    assert res.status_code == 302
    invitation = Invitation.objects.get(account=account)
    assert invitation.email == "dev@example.com" and invitation.role == "developer"
    assert len(mail.outbox) == 1 and "/invitations/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(account=account, action="team.invited", target="dev@example.com").exists()


def test_a_bad_invitation_shows_inline_errors(user_client, owner):
    res = user_client.post("/team/invite/", {"email": "not-an-email", "role": "developer"}, **HX)
    assert res.status_code == 422 and "valid email" in res.content.decode().lower()
    res = user_client.post("/team/invite/", {"email": owner.email, "role": "developer"}, **HX)
    assert res.status_code == 422 and "already a member" in res.content.decode()


def _accept_link():
    return re.search(r"(/invitations/[^\s/]+/)", mail.outbox[-1].body).group(1)


def test_a_new_person_accepts_with_a_password(user_client, client, account, invite):
    invite(user_client, "newbie@example.com", "analyst")
    link = _accept_link()
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Choose a password" in page.content.decode()
    weak = client.post(link, {"name": "New", "password": "123"})
    assert weak.status_code == 422
    res = client.post(link, {"name": "New Bie", "password": "A-good-passphrase-1"})
    assert res.status_code == 302
    membership = Membership.objects.get(account=account, user__email="newbie@example.com")
    assert membership.role == Role.ANALYST
    assert client.get("/").status_code == 200
    assert client.get(link).status_code == 404  # used


def test_an_existing_user_must_log_in_to_accept(user_client, client, account, other_account, invite):
    other_owner = other_account.memberships.get().user
    invite(user_client, other_owner.email, "developer")
    link = _accept_link()
    anonymous = client.__class__()
    assert "Log in" in anonymous.get(link).content.decode()
    anonymous.force_login(other_owner)
    assert anonymous.post(link).status_code == 302
    assert Membership.objects.filter(account=account, user=other_owner).exists()


def test_the_wrong_user_cannot_accept(user_client, client, account, other_account, invite):
    invite(user_client, "someone@example.com", "developer")
    link = _accept_link()
    intruder = client.__class__()
    intruder.force_login(other_account.memberships.get().user)
    res = intruder.post(link)
    assert "this invitation is for someone@example.com" in res.content.decode()
    assert not Membership.objects.filter(account=account, user__email="someone@example.com").exists()


def test_a_revoked_invitation_cannot_be_used(user_client, client, account, invite):
    invite(user_client, "late@example.com", "developer")
    link = _accept_link()
    invitation = Invitation.objects.get(account=account)
    user_client.post(f"/team/invitations/{invitation.pk}/revoke/")
    assert client.__class__().get(link).status_code == 404


def test_roles_change_and_are_audited(user_client, account):
    dev = make_member(account, Role.DEVELOPER)
    membership = Membership.objects.get(account=account, user=dev)
    res = user_client.post(f"/team/members/{membership.pk}/role/", {"role": "admin"}, **HX)
    assert res.status_code == 200
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    event = AuditEvent.objects.get(account=account, action="team.role_changed")
    assert event.metadata == {"old": "developer", "new": "admin"}


def test_the_last_owner_cannot_be_demoted_or_removed(user_client, account, owner):
    membership = Membership.objects.get(account=account, user=owner)
    res = user_client.post(f"/team/members/{membership.pk}/role/", {"role": "admin"}, **HX)
    assert res.status_code == 409 and "at least one owner" in res.content.decode()
    res = user_client.post(f"/team/members/{membership.pk}/remove/", **HX)
    assert res.status_code == 409
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_a_second_owner_allows_the_first_to_step_down(user_client, account, owner):
    second = make_member(account, Role.OWNER)
    mine = Membership.objects.get(account=account, user=owner)
    assert user_client.post(f"/team/members/{mine.pk}/role/", {"role": "admin"}).status_code == 302
    assert Membership.objects.filter(account=account, role=Role.OWNER).get().user == second


def test_admins_cannot_touch_owners(client, account, owner):
    admin = make_member(account, Role.ADMIN)
    client.force_login(admin)
    owner_membership = Membership.objects.get(account=account, user=owner)
    res = client.post(f"/team/members/{owner_membership.pk}/remove/", **HX)
    assert res.status_code == 403
    dev = Membership.objects.get(user=make_member(account, Role.DEVELOPER))
    res = client.post(f"/team/members/{dev.pk}/role/", {"role": "owner"}, **HX)
    assert res.status_code == 403
    res = client.post("/team/invite/", {"email": "boss@example.com", "role": "owner"}, **HX)
    assert res.status_code == 422 and "Only an owner" in res.content.decode()
    assert client.post(f"/team/members/{dev.pk}/role/", {"role": "analyst"}, **HX).status_code == 200


def test_members_are_removed(user_client, account):
    dev = make_member(account, Role.DEVELOPER)
    membership = Membership.objects.get(account=account, user=dev)
    res = user_client.post(f"/team/members/{membership.pk}/remove/", **HX)
    assert res.status_code == 200 and dev.email not in res.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("role", [Role.DEVELOPER, Role.ANALYST])
def test_roles_without_team_permission_get_403(client, account, role):
    client.force_login(make_member(account, role))
    assert client.get("/team/").status_code == 403
    assert client.post("/team/invite/", {"email": "x@example.com", "role": "analyst"}).status_code == 403


def test_another_accounts_member_is_404(user_client, other_account):
    foreign = other_account.memberships.get()
    assert user_client.post(f"/team/members/{foreign.pk}/role/", {"role": "analyst"}).status_code == 404
    assert user_client.post(f"/team/members/{foreign.pk}/remove/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.OWNER


def test_another_accounts_invitation_is_404(user_client, client, other_account, invite):
    other = client.__class__()
    other.force_login(other_account.memberships.get().user)
    invite(other, "x@example.com", "analyst")
    invitation = Invitation.objects.get(account=other_account)
    assert user_client.post(f"/team/invitations/{invitation.pk}/revoke/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_password_constant_is_usable(account):
    assert PASSWORD
