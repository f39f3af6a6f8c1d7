"""The report pages: dashboard (periods, links, charts with tables, failures explained, live
campaigns), delivery report (filters, sorting, keyset pages), campaign report, credit
reconciliation, and the delivery-rate alert."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.notifications.models import Notification
from messaging.channels.sms import sending
from messaging.pipeline.models import Message
from messaging.reports import alerts, delivery
from messaging.reports.events import DELIVERY_RATE_LOW
from messaging.reports.models import ReportSettings
from portal.core.events.models import Event
from tests.messaging.reports.pipeline_steps import dispatch, earlier_today, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def traffic(account, sending_setup):
    """Two campaigns sent an hour ago: 6 UK messages (one in three refused and refunded), 3
    Indian OTPs; two delivered, one undelivered, the rest waiting."""
    when = earlier_today(account, timedelta(hours=1))
    uk = send(account, when, 6, uk=True)
    uk.name = "Winter sale"
    uk.save()
    india = send(account, when, 3, uk=False)
    dispatch(uk, when, refuse=True)
    dispatch(india, when, refuse=False)
    ids = list(Message.objects.filter(batch=uk).exclude(supplier_message_id="").order_by("index"))
    sending.apply_dlrs(
        supplier="simulator",
        receipts=[(ids[0].supplier_message_id, "DELIVRD", "000"), (ids[1].supplier_message_id, "DELIVRD", "000")],
        delivered_at=when + timedelta(seconds=8),
    )
    sending.apply_dlrs(
        supplier="simulator", receipts=[(ids[2].supplier_message_id, "ABSENT-SUB", "010")], delivered_at=when
    )
    return {"uk": uk, "india": india}


def test_dashboard_counts_links_and_explains(user_client, traffic):
    res = user_client.get(reverse("reports:dashboard"), {"period": "today"})
    body = res.content.decode()
    assert res.status_code == 200
    assert "Settling" in body  # receipts still outstanding
    stats = res.context["figures"]["totals"]
    assert (stats.messages, stats.delivered, stats.pending) == (9, 2, 4)
    assert stats.failed == 3  # two refused by the supplier, one absent subscriber
    assert stats.refunds == Decimal("4") and stats.cost == Decimal("12.75")
    assert res.context["figures"]["latency"]["p50"] == "≤ 10 s"
    assert "absent subscriber" in body.lower() and "Refused by the supplier" in body
    assert reverse("reports:delivery") + "?since=" in body and "outcome=delivered" in body
    assert 'data-chart="stacked"' in body and "data-values=" in body and "<details>" in body
    running = res.context["running"]
    assert {c["batch"].name for c in running} == {"Winter sale", ""}


def test_dashboard_periods_and_htmx_fragment(user_client, traffic):
    for period in ("today", "7d", "30d", "nonsense"):
        res = user_client.get(reverse("reports:dashboard"), {"period": period})
        assert res.status_code == 200 and res.context["figures"]["totals"].messages == 9
    fragment = user_client.get(reverse("reports:dashboard"), {"period": "30d"}, HTTP_HX_REQUEST="true")
    assert (
        fragment.content.decode().startswith('\n<div id="report-body">')
        or 'id="report-body"' in fragment.content.decode()
    )
    assert "<html" not in fragment.content.decode()
    live = user_client.get(reverse("reports:running"), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 5s"' in live.content.decode() and "Winter sale" in live.content.decode()


def test_delivery_report_filters(user_client, traffic):
    url = reverse("reports:delivery")
    everything = user_client.get(url).context["page"].rows  # today by default, newest first
    assert len(everything) == 9
    oldest = user_client.get(url, {"order": "oldest"}).context["page"].rows
    assert [m["id"] for m in oldest] == [m["id"] for m in reversed(everything)]
    delivered = user_client.get(url, {"outcome": "delivered"}).context["page"].rows
    assert [m["status"] for m in delivered] == ["DELIVRD", "DELIVRD"]
    assert delivered[0]["explanation"] == "Delivered to SIM."
    assert len(user_client.get(url, {"sender": "ACMEIN"}).context["page"].rows) == 3
    assert len(user_client.get(url, {"iso": "gb"}).context["page"].rows) == 6
    assert len(user_client.get(url, {"campaign": str(traffic["uk"].uuid)}).context["page"].rows) == 6
    assert len(user_client.get(url, {"status": "REJECTED"}).context["page"].rows) == 2
    assert len(user_client.get(url, {"mobile": "+44 7400 100000"}).context["page"].rows) == 1
    old = user_client.get(url, {"since": "2020-01-01", "until": "2020-01-02"})
    assert old.context["page"].rows == [] and "No messages match" in old.content.decode()
    bad = user_client.get(url, {"since": "2026-02-02", "until": "2026-02-01", "campaign": "nope"})
    assert bad.status_code == 200 and bad.context["form"].errors.keys() == {"until", "campaign"}


def test_delivery_report_keyset_pages_in_both_orders(account, traffic):
    filters = {"since": timezone.now() - timedelta(days=1), "until": timezone.now() + timedelta(days=1)}
    for order in ("newest", "oldest"):
        seen, after = [], ""
        while True:
            page = delivery.page(account, filters, after=after, order=order, size=4)
            seen += [m["id"] for m in page.rows]
            if not page.next_cursor:
                break
            after = page.next_cursor
        assert len(seen) == len(set(seen)) == 9
        assert seen == sorted(seen, reverse=order == "newest")
    assert delivery.page(account, filters, after="garbage!").rows  # a bad cursor is the first page
    campaign = {**filters, "campaign": traffic["uk"].uuid}
    first = delivery.page(account, campaign, size=4)
    second = delivery.page(account, campaign, after=first.next_cursor, size=4)
    assert [m["index"] for m in first.rows + second.rows] == [6, 5, 4, 3, 2, 1] and not second.next_cursor


def test_campaign_report(user_client, traffic):
    res = user_client.get(reverse("reports:campaign", args=[traffic["uk"].uuid]))
    report = res.context["report"]
    assert res.status_code == 200 and report["unique_recipients"] == 6
    assert {s["status"]: s["count"] for s in report["by_status"]} == {
        "DELIVRD": 2,
        "REJECTED": 2,
        "ABSENT-SUB": 1,
        "AWAITING-DLR": 1,
    }
    assert [f["status"] for f in report["failures"]] == ["REJECTED", "ABSENT-SUB"]
    curve = json.loads(report["latency"]["curve"])["datasets"][0]["data"]
    assert curve[1] == pytest.approx(33.3)  # 2 of 6 delivered within 10 s
    assert report["totals"].refunds == Decimal("4") and report["totals"].cost == Decimal("12")


def test_credit_reconciliation(user_client, traffic):
    rec = user_client.get(reverse("reports:credits")).context["rec"]
    uk = next(line for line in rec["lines"] if line["uuid"] == traffic["uk"].uuid)
    assert (uk["charged"], uk["refunded"], uk["net"]) == (Decimal("12"), Decimal("4"), Decimal("8"))
    assert (uk["delivered"], uk["failed"], uk["pending"]) == (2, 3, 1)
    assert uk["delivered_charges"] == Decimal("4") and uk["failed_charges"] == Decimal("6")
    assert rec["total"]["charged"] == Decimal("12.75")


def test_delivery_rate_alert_notifies_once_and_emits_an_event(user_client, account, traffic):
    res = user_client.post(reverse("reports:threshold"), {"delivery_rate_threshold": "90", "alert_min_messages": "3"})
    assert res.status_code == 200 and "Saved" in res.content.decode()
    assert user_client.post(reverse("reports:threshold"), {"alert_min_messages": "0"}).status_code == 422
    assert alerts.check_all() == 1  # 2 delivered of 5 with an outcome: 40 %
    assert alerts.check_all() == 0  # still low: no second alert the same day
    note = Notification.objects.get(account=account, title__startswith="Delivery rate")
    assert "40.0%" in note.title and "90" in note.title
    event = Event.objects.get(account=account, type=DELIVERY_RATE_LOW)
    assert event.payload["delivered"] == 2 and event.payload["with_outcome"] == 5
    settings_row = ReportSettings.for_account(account)
    settings_row.delivery_rate_threshold = Decimal("40")  # 40 % is not below 40 %
    settings_row.save()
    assert alerts.check_all() == 0 and not ReportSettings.for_account(account).alert_active  # recovered


def test_staff_reports_across_customers_and_per_supplier(client, account, other_account, traffic, sending_setup):
    from accounts.models import User
    from tests.factories import PASSWORD

    staff_user = User.objects.create_user(email="ops@example.com", password=PASSWORD, is_staff=True)
    url = reverse("staff_reports:overview")
    client.force_login(staff_user)
    res = client.get(url)
    assert res.status_code == 200
    customers = res.context["customers"]
    assert customers["overall"].messages == 9 and customers["accounts"][0]["name"] == account.name
    (simulator,) = res.context["suppliers"]
    assert (simulator["supplier"], simulator["handed"], simulator["delivered"], simulator["failed"]) == (
        "simulator",
        9,
        2,
        3,
    )
    assert simulator["latency_seconds"] == 8.0
    owner_client = type(client)()
    owner_client.force_login(User.objects.get(memberships__account=account))
    assert owner_client.get(url).status_code == 403
