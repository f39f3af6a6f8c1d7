"""Customers created from the UI (staff, resellers) get their owner by e-mail invitation: nobody
sets the owner's password for them."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Account, Invitation, Role, User
from accounts.services import credits
from tests.factories import make_account


@pytest.fixture
def staff(db):
    user = User.objects.create_user(email="ops@example.com", password="x-long-password-1", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def accept(link, password="A-fresh-password-9"):
    client = Client()
    path = re.sub(r"^https?://[^/]+", "", link)
    res = client.post(path, {"name": "New Owner", "password": password})
    assert res.status_code == 302, res.content.decode()[:500]
    return client


def test_staff_create_a_customer_and_its_owner_accepts_the_invitation(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        res = staff.post(
            "/staff/customers/new/",
            {"name": "Fresh Foods", "email": "Owner@FreshFoods.example", "opening_credits": "15", "is_reseller": "on"},
        )
    account = Account.objects.get(name="Fresh Foods")
    assert res.status_code == 302 and res["Location"] == f"/staff/customers/{account.uuid}/"
    assert account.is_reseller and credits.balance(account) == Decimal("15")
    assert not account.memberships.exists() and not User.objects.filter(email="owner@freshfoods.example").exists()
    invitation = Invitation.objects.get(account=account)
    assert invitation.email == "owner@freshfoods.example" and invitation.role == Role.OWNER

    (message,) = mail.outbox
    assert message.to == ["owner@freshfoods.example"] and "Fresh Foods" in message.subject
    link = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)
    owner_client = accept(link)
    assert account.memberships.get().role == Role.OWNER
    assert "Fresh Foods" in owner_client.get("/").content.decode()


def test_a_bad_email_creates_nothing(staff):
    res = staff.post("/staff/customers/new/", {"name": "Nope Ltd", "email": "not-an-email"})
    assert res.status_code == 422 and "Enter a valid email address." in res.content.decode()
    assert not Account.objects.filter(name="Nope Ltd").exists()


def test_a_reseller_invites_its_customers_owner(db, django_capture_on_commit_callbacks):
    parent, owner = make_account(name="Resell Co", credits_amount="100", is_reseller=True)
    client = Client()
    client.force_login(owner)
    page = client.get("/customers/").content.decode()
    assert 'name="password"' not in page and "invitation" in page
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post("/customers/", {"name": "Child Two", "email": "boss@child.example", "opening_credits": "10"})
    assert res.status_code == 302
    child = Account.objects.get(name="Child Two")
    assert child.parent == parent and credits.balance(child) == Decimal("10")
    assert credits.balance(parent) == Decimal("90")
    assert mail.outbox[-1].to == ["boss@child.example"]
    assert "boss@child.example is invited as owner" in client.get("/customers/").content.decode()
