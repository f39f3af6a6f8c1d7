"""The event registry (portal/core/events/registry.py): the mechanism the apps register with."""

import pytest

from portal.core import events
from portal.core.events import registry
from portal.core.events.registry import EventType


@pytest.fixture
def scratch_registry(monkeypatch):
    """A copy of the registry this test may add to; the real one is untouched."""
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))


def test_registering_a_name_that_exists_fails_loudly(scratch_registry):
    before = registry.all()
    with pytest.raises(events.DuplicateEvent, match="sms:message:status"):
        registry.register(EventType("test:new", "Test", "new"), EventType("sms:message:status", "Test", "again"))
    assert registry.all() == before  # nothing of the refused call is registered


def test_registering_a_name_twice_in_one_call_fails(scratch_registry):
    with pytest.raises(events.DuplicateEvent, match="test:twice"):
        registry.register(EventType("test:twice", "Test", "a"), EventType("test:twice", "Test", "b"))
    with pytest.raises(events.UnknownEvent):
        registry.get("test:twice")


def test_a_registered_event_is_listed_in_order_and_subscribable_unless_it_says_not(scratch_registry):
    registry.register(
        EventType("test:one", "Test", "One"), EventType("test:hidden", "Test", "Hidden", subscribable=False)
    )
    assert registry.get("test:one").description == "One"
    assert [e.name for e in registry.all()][-2:] == ["test:one", "test:hidden"]
    assert registry.subscribable()[-1] == "test:one"
    assert ("test:one", "test:one — One") in registry.choices()
    assert "test:hidden" not in dict(registry.choices())


def test_get_refuses_an_unknown_name():
    with pytest.raises(events.UnknownEvent, match="sms:message:sttus"):
        registry.get("sms:message:sttus")


def test_emit_many_refuses_an_unknown_name(account):
    with pytest.raises(events.UnknownEvent):
        events.emit_many([events.pending(account_id=account.pk, type="nobody:registered:this", payload={})])
