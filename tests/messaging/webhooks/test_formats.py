"""Delivery formats (messaging/webhooks/formats.py) against the events the apps register."""

import pytest

import accounts.events
import contacts.events
import messaging.events
import messaging.reports.events
import messaging.webhooks.events
import voice.events
from messaging.channels.whatsapp import events as whatsapp_events
from messaging.webhooks import formats, render, worker
from portal.core import events
from portal.core.events import registry
from portal.core.events.registry import EventType

# Every event the platform had when the registry was one central list; none may be lost.
EVENT_NAMES = {
    "sms:message:status",
    "sms:unsubscription",
    "whatsapp:message:in",
    "whatsapp:message:status",
    "whatsapp:unsubscription",
    "rcs:message:in",
    "rcs:message:status",
    "rcs:unsubscription",
    "voice:message:out",
    "voice:unsubscription",
    "viber:message:status",
    "viber:message:in",
    "viber:unsubscription",
    "vmn:message:in",
    "contacts:subscriber:subscription",
    "link:visit",
    "portal:sender:reviewed",
    "portal:template:reviewed",
    "portal:webhook:test",
    "portal:balance:low",
    "portal:report:delivery_rate_low",
}


def test_every_event_a_format_names_is_registered_by_some_app():
    registered = {e.name for e in registry.all()}
    assert set(formats.FORMATS) - registered == set()


def test_the_registered_events_are_the_ones_the_apps_declare_and_none_was_lost():
    declared = [
        e.name
        for module in (
            accounts.events,
            messaging.events,
            whatsapp_events,
            messaging.webhooks.events,
            messaging.reports.events,
            voice.events,
            contacts.events,
        )
        for e in module.EVENT_TYPES
    ]
    assert len(declared) == len(set(declared))
    assert {e.name for e in registry.all()} == set(declared) == EVENT_NAMES
    assert set(formats.FORMATS) == EVENT_NAMES  # each of today's events keeps its declared format


def test_only_the_test_event_is_not_subscribable():
    assert set(registry.subscribable()) == EVENT_NAMES - {"portal:webhook:test"}


def test_customized_webhooks_take_the_five_status_events():
    assert formats.customizable() == [
        "sms:message:status",
        "whatsapp:message:status",
        "rcs:message:status",
        "voice:message:out",
        "viber:message:status",
    ]


def test_an_event_without_a_format_gets_the_default(monkeypatch):
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    registry.register(EventType("test:plain", "Test", "No format of its own"))
    assert formats.of("test:plain") == formats.DEFAULT
    assert render.is_wrapped("test:plain", by_webhook_id=True)
    assert formats.of("test:plain").success_codes == frozenset(range(200, 300))
    assert "test:plain" not in formats.customizable()


def test_a_format_for_an_unregistered_name_is_not_offered(monkeypatch):
    monkeypatch.setitem(formats.FORMATS, "test:gone", formats.Format(customizable=True))
    assert "test:gone" not in formats.customizable()
    with pytest.raises(events.UnknownEvent):
        formats.of("test:gone")


@pytest.mark.parametrize(
    ("name", "by_webhook_id", "wrapped"),
    [
        ("sms:message:status", False, True),
        ("sms:message:status", True, False),
        ("voice:message:out", True, False),
        ("whatsapp:message:in", True, True),
        ("contacts:subscriber:subscription", False, False),
        ("sms:unsubscription", False, False),
        ("link:visit", False, False),
        ("portal:sender:reviewed", False, True),
    ],
)
def test_body_forms(name, by_webhook_id, wrapped):
    assert render.is_wrapped(name, by_webhook_id=by_webhook_id) is wrapped


@pytest.mark.parametrize(
    ("name", "code", "success"),
    [
        ("sms:message:status", 202, True),
        ("sms:message:status", 204, False),
        ("voice:message:out", 201, False),
        ("whatsapp:message:status", 204, True),
        ("portal:webhook:test", 299, True),
    ],
)
def test_success_codes(name, code, success):
    outcome = worker.Outcome(1, 1, None, None, status_code=code)
    assert worker._is_success(outcome, name) is success
