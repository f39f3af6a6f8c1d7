"""Supplier connectors: the registry, routing by channel, staff configuration and its page."""

from unittest import mock

import pytest
from django.test import Client

from accounts.models import AuditEvent, User
from messaging.channels.sms.sending import Outgoing, submit
from messaging.pipeline import connectors, supplier_admin, tasks
from messaging.pipeline.models import Message, State, SupplierConnector
from portal.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_user(email="ops@example.com", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    return client


def _save(**data):
    return supplier_admin.save_connector(
        data={"name": "sim-eu", "channel": "sms", "kind": "simulator", "rate_per_second": 50, "enabled": True, **data}
    )


def test_a_channel_without_configuration_uses_its_built_in_simulator(settings):
    settings.CONNECTOR_RATES = {"default": 1000, "simulator": 4321}
    conn = connectors.for_channel("sms")
    assert conn.name == "simulator" and conn.rate == 4321 and conn.idempotent


def test_the_default_connector_carries_the_channel_and_its_rate_applies():
    _save(is_default=True)
    conn = connectors.for_channel("sms")
    assert conn.name == "sim-eu" and conn.rate == 50 and conn.channel == "sms"
    assert connectors.by_name("sim-eu", "sms").rate == 50


def test_one_default_per_channel_and_a_disabled_one_is_never_routed_to():
    first = _save(is_default=True)
    second = _save(name="sim-us", is_default=True)
    first.refresh_from_db()
    assert not first.is_default and second.is_default
    supplier_admin.save_connector(
        existing=second,
        data={"name": "sim-us", "channel": "sms", "kind": "simulator", "rate_per_second": 5, "enabled": False},
    )
    second.refresh_from_db()
    assert not second.enabled and not second.is_default
    assert connectors.for_channel("sms").name == "simulator"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"channel": "pigeon"}, "channel"),
        ({"kind": "smpp-nowhere"}, "kind"),
        ({"rate_per_second": 0}, "rate_per_second"),
        ({"rate_per_second": "fast"}, "rate_per_second"),
    ],
)
def test_bad_configuration_is_refused_per_field_and_nothing_is_written(data, field):
    with pytest.raises(ValidationFailed) as refused:
        _save(**data)
    assert field in refused.value.errors
    assert not SupplierConnector.objects.exists()


def test_dispatch_goes_through_the_configured_connector(account, sending_setup, django_capture_on_commit_callbacks):
    _save(name="sim-eu", is_default=True)
    with mock.patch("messaging.pipeline.submit.enqueue"):
        batch = submit(
            account=account,
            product_code="G",
            outgoing=[Outgoing(to="447400123456", sender="AcmeUK", message="Hello there")],
        ).batch
    with mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts"):
        tasks.dispatch_batch(batch.pk)
    message = Message.objects.get(batch=batch)
    assert message.state == State.SUBMITTED and message.supplier == "sim-eu"


def test_staff_configure_connectors_on_their_page(staff_client):
    html = staff_client.get("/staff/connectors/").content.decode()
    assert "No connectors configured" in html and "simulator" in html
    res = staff_client.post(
        "/staff/connectors/",
        {"name": "sim-eu", "channel": "sms", "kind": "simulator", "rate_per_second": "75", "enabled": "on",
         "is_default": "on"},
    )  # fmt: skip
    assert res.status_code == 302
    row = SupplierConnector.objects.get()
    assert row.rate_per_second == 75 and row.is_default
    assert AuditEvent.objects.filter(action="connector.saved", target="sim-eu").exists()
    html = staff_client.get("/staff/connectors/").content.decode()
    assert "sim-eu" in html and "75 / s" in html
    res = staff_client.post(
        f"/staff/connectors/{row.pk}/",
        {"name": "sim-eu", "channel": "sms", "kind": "simulator", "rate_per_second": "0"},
    )
    assert res.status_code == 422
    row.refresh_from_db()
    assert row.rate_per_second == 75


def test_customers_cannot_reach_the_connectors_page(user_client):
    assert user_client.get("/staff/connectors/").status_code == 403
