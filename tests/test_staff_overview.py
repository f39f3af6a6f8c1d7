"""Staff's platform overview: customers, traffic by channel, revenue (charges less refunds),
pending reviews and the suppliers failing in the last hour."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import credits
from messaging.pipeline.models import Message
from messaging.pipeline.status import Progress
from messaging.senders import services as registry
from portal.views import platform_overview
from tests.factories import make_account
from tests.messaging.sending.conftest import sending_setup  # noqa: F401  (shared fixture)


@pytest.fixture
def staff(db):
    user = User.objects.create_user(email="ops@example.com", password="x-long-password-1", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("sending_setup")
def test_the_overview_counts_the_platform(staff, account, api_client, django_capture_on_commit_callbacks):
    make_account(is_reseller=True)
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(
            "/api/v2/sms/send",
            {
                "sender": "ACMEIN",
                "service": "T",
                "message": "Your OTP is 4821. Do not share it.",
                "to": "919876543210,919876543211",
            },
            format="json",
        )
    assert res.status_code == 200
    credits.refund(account=account, amount="0.1", reason="goodwill")
    registry.create_sender(account=account, data={"name": "Pending", "service": "G", "country_code": "GB"})

    data = platform_overview()
    assert data["customers"]["total"] >= 2 and data["customers"]["resellers"] >= 1
    assert data["traffic"] == [{"channel": "sms", "messages_30d": 2, "messages_24h": 2}]
    assert data["revenue_30d"] == Decimal("0.4")  # 2 x 0.25 charged, 0.1 refunded
    assert data["pending_reviews"] == 1
    assert data["failing"] == []

    Message.objects.update(progress=Progress.FAILED)
    data = platform_overview()
    assert [s["supplier"] for s in data["failing"]] and data["failing"][0]["failed"] == 2

    html = staff.get("/staff/overview/").content.decode()
    assert "Platform overview" in html and "Failing" in html and "SMS" in html


def test_customers_cannot_see_it(user_client):
    assert user_client.get("/staff/overview/").status_code in (302, 403)
