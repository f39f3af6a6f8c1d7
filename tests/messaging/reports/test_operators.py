"""The operator dimension: prefix lookup (longest wins, ported numbers override), stored on each
message at accept, carried into the rollups (equal to a recount through receipts), filters on
the delivery report and the dashboard, the staff page and CSV loading."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from messaging.operators import lookup, services
from messaging.operators.models import OperatorPrefix, PortedNumber
from messaging.pipeline.models import Message
from messaging.reports import dashboard, rollups
from messaging.reports.models import MessageRollup
from portal.core.errors import ValidationFailed
from tests.messaging.reports.pipeline_steps import at, dispatch, receipts, send

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _forget_the_table():
    # The lookup keeps the table per process: later tests (other modules) must not see these rows.
    yield
    lookup._Table.version, lookup._Table.checked = object(), 0.0


@pytest.fixture
def ranges(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.load("iso,prefix,operator\nGB,447,UK Mobile\nGB,4474001000,UK Small\nIN,9198,Jio\n", kind="prefixes")
        services.load("mobile,operator\n447400100001,Ported Co\n", kind="ported")


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_user(email="ops@example.com", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    return client


def test_longest_prefix_wins_and_ported_numbers_override(ranges):
    pairs = [("447400100001", "GB"), ("447400100002", "GB"), ("447400099999", "GB"), ("919876500000", "IN")]
    assert lookup.operators([*pairs, ("15551234567", "US")]) == ["Ported Co", "UK Small", "UK Mobile", "Jio", ""]


def test_the_operator_is_stored_at_accept_and_counted_in_rollups(account, sending_setup, ranges):
    when = timezone.now() - timedelta(hours=2)
    uk = send(account, when, 3, uk=True)  # 447400100000..02
    send(account, when, 2, uk=False)
    stored = dict(Message.objects.filter(account=account).values_list("mobile", "operator"))
    assert stored == {
        "447400100000": "UK Small",
        "447400100001": "Ported Co",
        "447400100002": "UK Small",
        "919876500000": "Jio",
        "919876500001": "Jio",
    }
    dispatch(uk, when, refuse=True)  # index 3 refused by the supplier (refunded)
    with at(when + timedelta(minutes=1)):
        receipts([(0, 0), (1, 1)], when + timedelta(minutes=1))  # delivered, failed
    by_operator = {}
    for r in MessageRollup.objects.filter(account=account):
        by_operator[r.operator] = by_operator.get(r.operator, 0) + r.messages
    assert by_operator == {"UK Small": 2, "Ported Co": 1, "Jio": 2}
    assert rollups.compare()[1] == []  # maintained == recounted, operator included
    figures = dashboard.figures(account, "7d", operator="Jio")
    assert figures["totals"].messages == 2
    series = dict(figures["series"])["operator"]
    assert set(series.values) == {"Jio"}
    assert dashboard.operators(account) == ["Jio", "Ported Co", "UK Small"]


def test_delivery_report_and_dashboard_filter_by_operator(user_client, account, sending_setup, ranges):
    send(account, timezone.now() - timedelta(minutes=5), 3, uk=True)
    page = user_client.get(reverse("reports:delivery"), {"operator": "Ported Co"}).content.decode()
    assert "447400100001" in page and "447400100002" not in page
    res = user_client.get(reverse("reports:dashboard"), {"period": "today", "operator": "UK Small"})
    body = res.content.decode()
    assert res.status_code == 200 and "operator UK Small" in body
    assert "operator=UK%20Small" in body  # the numbers link to the rows of that operator
    assert '<option value="Ported Co">' in body


def test_staff_page_edits_and_loads(staff_client, user_client):
    url = reverse("operators:list")
    assert user_client.get(url).status_code in (302, 403, 404)  # customers cannot see it
    bad = staff_client.post(url, {"iso": "GB", "prefix": "917", "operator": "X"})
    assert bad.status_code == 422 and "starts with its calling code 44" in bad.content.decode()
    ok = staff_client.post(url, {"iso": "gb", "prefix": "+4477", "operator": "Vodafone UK"})
    assert ok.status_code == 302
    row = OperatorPrefix.objects.get()
    assert (row.iso, row.prefix, row.operator) == ("GB", "4477", "Vodafone UK")
    upload = SimpleUploadedFile("r.csv", b"iso,prefix,operator\nIN,9190,Airtel\nIN,91x,Bad\n")
    bad = staff_client.post(reverse("operators:load"), {"kind": "prefixes", "file": upload})
    assert bad.status_code == 422 and "Line 2: The prefix must be 1 to 15 digits." in bad.content.decode()
    assert OperatorPrefix.objects.count() == 1  # all or nothing
    upload = SimpleUploadedFile("p.csv", b"447700900123,O2 UK\n")
    assert staff_client.post(reverse("operators:load"), {"kind": "ported", "file": upload}).status_code == 302
    assert PortedNumber.objects.get().operator == "O2 UK"
    page = staff_client.get(url).content.decode()
    assert "Vodafone UK" in page and "Ported numbers" in page
    staff_client.post(reverse("operators:delete", args=[row.pk]))
    assert not OperatorPrefix.objects.exists()


def test_load_command_and_its_errors(tmp_path):
    good = tmp_path / "ranges.csv"
    good.write_text("US,1555,Example Wireless\n")
    call_command("load_operators", str(good))
    assert OperatorPrefix.objects.get().operator == "Example Wireless"
    bad = tmp_path / "bad.csv"
    bad.write_text("ZZ,1,x\n")
    with pytest.raises(Exception, match="ZZ is not a country code"):
        call_command("load_operators", str(bad))
    with pytest.raises(ValidationFailed):
        services.load("", kind="ported")
