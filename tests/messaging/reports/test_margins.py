"""Per-route margins for staff: revenue net of supplier refusals against supplier costs per
route (a service's own cost before the supplier's every-service cost), the staff form."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from messaging.reports import margins
from messaging.reports.models import RouteCost
from tests.messaging.reports.pipeline_steps import dispatch, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_user(email="ops@example.com", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    return client


def test_margins_per_route(account, sending_setup):
    when = timezone.now() - timedelta(hours=1)
    uk = send(account, when, 6, uk=True)  # 2.00 a message
    india = send(account, when, 3, uk=False)  # 0.25 a message
    dispatch(uk, when, refuse=True)  # indexes 3 and 6 refused by the supplier: refunded
    dispatch(india, when, refuse=False)
    margins.save_cost(supplier="simulator", iso="GB", product_code="", cost_per_unit=Decimal("1.5"))
    margins.save_cost(supplier="simulator", iso="GB", product_code="G", cost_per_unit=Decimal("1.2"))
    report = margins.routes("24h")
    rows = {(r["iso"], r["product_code"]): r for r in report["rows"]}
    gb = rows[("GB", "G")]
    assert (gb["messages"], gb["refunded"], gb["units"]) == (6, 2, 4)
    assert gb["revenue"] == Decimal("8") and gb["unit_cost"] == Decimal("1.2")  # the service's own cost
    assert gb["cost"] == Decimal("4.8") and gb["margin"] == Decimal("3.2") and gb["margin_percent"] == 40.0
    india_row = rows[("IN", "T")]
    assert india_row["cost"] is None and india_row["margin"] is None  # no cost known: not in the totals
    assert report["total"]["revenue"] == Decimal("8") and report["total"]["margin"] == Decimal("3.2")


def test_staff_page_sets_costs_and_shows_margins(staff_client, user_client, account, sending_setup):
    when = timezone.now() - timedelta(hours=1)
    dispatch(send(account, when, 2, uk=True), when, refuse=False)
    url = reverse("staff_reports:overview")
    assert user_client.get(url).status_code in (302, 403, 404)
    bad = staff_client.post(url, {"supplier": "simulator", "iso": "G1", "cost_per_unit": "1"})
    assert bad.status_code == 422 and "two-letter country code" in bad.content.decode()
    assert staff_client.post(url, {"supplier": "simulator", "iso": "gb", "cost_per_unit": "0.5"}).status_code == 302
    cost = RouteCost.objects.get()
    assert (cost.iso, cost.product_code, cost.cost_per_unit) == ("GB", "", Decimal("0.5"))
    page = staff_client.get(url, {"window": "7d"}).content.decode()
    assert "Margins per route, last 7 days" in page and "75.0%" in page  # (4 - 1) / 4
    staff_client.post(reverse("staff_reports:cost_delete", args=[cost.pk]))
    assert not RouteCost.objects.exists()
