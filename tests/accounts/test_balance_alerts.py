"""Low-balance alerts: the customer's threshold; the debit that crosses it alerts once by e-mail,
notification and the portal:balance:low event; no alert without a crossing."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.events import BALANCE_LOW
from accounts.notifications.models import Notification
from accounts.services import balance_alerts, credits
from portal.core.errors import ValidationFailed
from portal.core.events.models import Event

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    ("before", "after", "alerts"),
    [("12", "9", True), ("10", "9.99", True), ("10", "10", False), ("9", "8", False), ("20", "15", False)],
)
def test_only_the_crossing_alerts(before, after, alerts):
    assert balance_alerts.crossed(Decimal("10"), before=Decimal(before), after=Decimal(after)) is alerts
    assert balance_alerts.crossed(None, before=Decimal(before), after=Decimal(after)) is False


@pytest.mark.parametrize("path", ["debit", "debit_new"])
def test_the_debit_that_crosses_alerts_once_by_every_means(account, owner, django_capture_on_commit_callbacks, path):
    credits.top_up(account=account, amount="20")  # the fixture gives 100: 120 in all
    balance_alerts.set_threshold(account=account, value="50")
    charge = (
        (lambda n, amount: credits.debit(account=account, amount=amount, reason="SMS"))
        if path == "debit"
        else (lambda n, amount: credits.debit_new(account=account, amount=amount, reason="SMS", key=f"b:{n}"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        charge(1, "60")  # 60 left: above
        charge(2, "15")  # 45: crosses
        charge(3, "5")  # 40: already below
    events = list(Event.objects.filter(account=account, type=BALANCE_LOW))
    assert len(events) == 1 and events[0].payload == {
        "account": account.username,
        "balance": "45.0000",
        "threshold": "50.0000",
    }
    notes = list(Notification.objects.filter(account=account))
    assert len(notes) == 1 and notes[0].title == "Low balance: 45.00 credits left" and notes[0].level == "warning"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]
    assert "below your alert threshold of 50.00" in mail.outbox[0].body and "/billing/" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        credits.top_up(account=account, amount="100")  # 140: above again
        charge(4, "95")  # 45: a new crossing
    assert Event.objects.filter(account=account, type=BALANCE_LOW).count() == 2


def test_a_refused_debit_alerts_nobody(account):
    balance_alerts.set_threshold(account=account, value="50")
    with pytest.raises(Exception):  # noqa: B017  (InsufficientCredit)
        credits.debit(account=account, amount="1000", reason="too much")
    assert not Event.objects.filter(type=BALANCE_LOW).exists() and not Notification.objects.exists()


def test_product_wallets_and_no_threshold_never_alert(account):
    credits.debit(account=account, amount="99", reason="no threshold set")
    assert not Event.objects.filter(type=BALANCE_LOW).exists()


@pytest.mark.parametrize("value", ["-1", "abc", "1e20", "NaN"])
def test_bad_thresholds_are_refused(account, value):
    with pytest.raises(ValidationFailed):
        balance_alerts.set_threshold(account=account, value=value)
    account.refresh_from_db()
    assert account.low_balance_threshold is None


def test_the_credits_page_sets_and_clears_the_alert(user_client, account):
    page = user_client.get("/billing/").content.decode()
    assert "Low-balance alert" in page and "Off." in page
    res = user_client.post("/billing/alert/", {"threshold": "25"}, **HX)
    assert res.status_code == 200 and "On: when a charge" in res.content.decode() and "25.00" in res.content.decode()
    account.refresh_from_db()
    assert account.low_balance_threshold == Decimal("25")
    bad = user_client.post("/billing/alert/", {"threshold": "-3"}, **HX)
    assert bad.status_code == 422 and "between 0 and" in bad.content.decode()
    user_client.post("/billing/alert/", {"threshold": ""})
    account.refresh_from_db()
    assert account.low_balance_threshold is None


def test_analysts_cannot_change_the_alert(client, account):
    from accounts.models import Role
    from tests.factories import make_member

    client.force_login(make_member(account, Role.ANALYST))
    assert client.post("/billing/alert/", {"threshold": "5"}).status_code == 403
