"""The report operations of the v2 API read the rollups: sms/report (status summary; a missing
range is the last 7 days) and sms/activity (usage per day and service, legacy paginator)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.services import credits
from messaging.channels.sms import sending
from messaging.pipeline.models import Message
from tests.messaging.reports.pipeline_steps import dispatch, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def traffic(account, sending_setup):
    now = timezone.now()
    uk = send(account, now - timedelta(days=2), 3, uk=True)
    dispatch(uk, now, refuse=True)  # index 3 refused and refunded
    sid = Message.objects.get(batch=uk, index=1).supplier_message_id
    sending.apply_dlrs(supplier="simulator", receipts=[(sid, "DELIVRD", "000")], delivered_at=now)
    send(account, now, 2, uk=False)
    return now


def test_status_summary_by_local_day(api_client, account, traffic):
    account.time_zone = "Asia/Kolkata"
    account.save()
    from messaging.reports import rollups

    rollups.rebuild(account_ids=[account.pk])  # a new zone: rollups are recounted in it
    today = timezone.now().astimezone(rollups.zone("Asia/Kolkata")).date()
    two_ago = (timezone.now() - timedelta(days=2)).astimezone(rollups.zone("Asia/Kolkata")).date()
    body = api_client.get("/api/v2/sms/report").json()  # no range: the last 7 days
    assert body["status"] == 200 and set(body["data"]) == {today.isoformat(), two_ago.isoformat()}
    assert body["data"][two_ago.isoformat()]["status"] == {"DELIVRD": 1, "AWAITING-DLR": 1, "REJECTED": 1}
    one_day = api_client.get("/api/v2/sms/report", {"daterange": f"{today}|{today}"}).json()
    assert one_day["data"] == {today.isoformat(): {"date": today.isoformat(), "status": {"AWAITING-DLR": 2}}}
    assert api_client.get("/api/v2/sms/report", {"daterange": "2026-01-01|2025-01-01"}).status_code == 422


def test_usage_report_in_the_legacy_paginator(api_client, account, traffic):
    body = api_client.get("/api/v2/sms/activity").json()
    rows = body["rows"]
    assert rows["per_page"] == 25 and rows["total"] == 2 and rows["current_page"] == 1
    newest, older = rows["data"]
    assert (newest["service"], newest["sent_units"], newest["deliv_units"]) == ("T", 2, 0)
    assert (older["service"], older["sent_units"], older["deliv_units"]) == ("G", 3, 1)
    assert Decimal(older["sent_credits"]) == Decimal("4")  # 3 charged at 2, one refunded
    assert [newest["serial"], older["serial"]] == [1, 2]
    assert Decimal(newest["opening"]) >= 0 and Decimal(newest["available"]) >= 0
    assert set(newest) == {
        "service",
        "opening",
        "available",
        "sent_units",
        "sent_credits",
        "deliv_units",
        "on_date",
        "serial",
    }


def test_balances_are_the_ledger_at_the_days_bounds(account):
    from accounts.models import LedgerEntry
    from messaging.reports import usage

    topup = LedgerEntry.objects.get(account=account)  # the 100 credits the account starts with
    day = timezone.now() - timedelta(days=3)
    LedgerEntry.objects.filter(pk=topup.pk).update(created_at=day)
    credits.debit(account=account, amount=Decimal("7"), reason="test")
    assert usage.balance_at(account, day - timedelta(seconds=1)) == 0
    assert usage.balance_at(account, day + timedelta(seconds=1)) == Decimal("100")
    assert usage.balance_at(account, timezone.now() + timedelta(seconds=1)) == Decimal("93")
