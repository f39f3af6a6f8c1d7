"""Read-only "view as": staff any customer, a reseller its own customers; banner, writes refused,
every page view audited, stopping returns to where it started."""

import pytest
from django.test import Client

from accounts.models import AuditEvent, User
from accounts.services import credits
from tests.factories import make_account

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def staff(db):
    user = User.objects.create_user(email="ops@example.com", password="x-long-password-1", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_staff_view_a_customer_read_only_with_a_banner_and_an_audit_trail(staff, account):
    credits.debit(account=account, amount="12", reason="Campaign X")
    res = staff.post(f"/staff/customers/{account.uuid}/view-as/")
    assert res.status_code == 302 and res["Location"] == "/"
    page = staff.get("/billing/").content.decode()
    assert "You are viewing" in page and account.name in page and "platform staff" in page
    assert "Campaign X" in page
    assert "Low-balance alert" in page and 'action="/billing/alert/"' not in page  # analyst: no form

    assert staff.post("/billing/alert/", {"threshold": "5"}).status_code == 403
    assert staff.post("/sms/senders/new/", {"name": "X"}).status_code == 403
    account.refresh_from_db()
    assert account.low_balance_threshold is None

    viewed = AuditEvent.objects.filter(account=account, action="support.viewed")
    assert list(viewed.values_list("target", flat=True)) == ["/billing/"]
    assert viewed.get().actor_email == "ops@example.com"

    back = staff.post("/view-as/stop/")
    assert back["Location"] == f"/staff/customers/{account.uuid}/"
    assert "You are viewing" not in staff.get("/staff/").content.decode()
    actions = set(AuditEvent.objects.filter(account=account).values_list("action", flat=True))
    assert {"support.view_started", "support.viewed", "support.view_ended"} <= actions


def test_a_reseller_drills_into_its_own_customer_only(db):
    parent, owner = make_account(name="Resell Co", credits_amount="100", is_reseller=True)
    child, _ = make_account(parent=parent, name="Child Ltd")
    stranger, _ = make_account(parent=make_account(is_reseller=True)[0], name="Someone Else")
    client = Client()
    client.force_login(owner)

    assert client.post(f"/customers/{stranger.uuid}/view/").status_code == 404
    assert "View account" in client.get("/customers/").content.decode()
    client.post(f"/customers/{child.uuid}/view/")
    page = client.get("/").content.decode()
    assert "You are viewing" in page and "Child Ltd" in page and "its reseller" in page
    assert client.post(f"/customers/{child.uuid}/transfer/", {"amount": "1"}).status_code == 403
    assert client.post("/view-as/stop/")["Location"] == "/customers/"
    assert "Resell Co" in client.get("/").content.decode()


def test_the_view_ends_when_the_right_to_it_ends(db):
    parent, owner = make_account(name="Resell Co", is_reseller=True)
    child, _ = make_account(parent=parent, name="Child Ltd")
    client = Client()
    client.force_login(owner)
    client.post(f"/customers/{child.uuid}/view/")
    type(child).objects.filter(pk=child.pk).update(parent=None)  # no longer its customer
    page = client.get("/").content.decode()
    assert "You are viewing" not in page and "Resell Co" in page


def test_customers_cannot_start_a_staff_view(user_client, other_account):
    res = user_client.post(f"/staff/customers/{other_account.uuid}/view-as/")
    assert res.status_code in (302, 403)
    assert "You are viewing" not in user_client.get("/").content.decode()
