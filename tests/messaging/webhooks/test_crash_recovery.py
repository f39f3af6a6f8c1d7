"""The two in-flight stages of webhooks live in the database and are picked up again by the next
run of the delivery worker (beat, every 2 s) after a crash: outbox events not yet fanned out, and
deliveries a dead worker had claimed (after their lease). No network: a MockTransport receiver."""

import uuid
from unittest import mock

import pytest

from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import worker
from messaging.webhooks.models import Delivery, DeliveryStatus
from messaging.webhooks.routing import fan_out
from portal.core import events
from portal.core.events.models import Event
from tests.messaging.webhooks.conftest import Receiver
from tests.messaging.webhooks.test_delivery import SMS, hook, subscribe


def test_a_fan_out_that_dies_midway_leaves_its_events_for_the_next_run(account, clock, deliver):
    subscribe(account, hook(account))
    for n in range(3):
        events.emit(account=account, type=SMS_MESSAGE_STATUS, payload={**SMS, "id": f"g:{n}"})
    with (
        mock.patch.object(Delivery.objects, "bulk_create", side_effect=RuntimeError("worker killed")),
        pytest.raises(RuntimeError),
    ):
        fan_out(now=clock())
    # The fan-out's transaction rolled back: no delivery, every event still waiting in the outbox.
    assert not Delivery.objects.exists() and Event.objects.filter(processed_at__isnull=True).count() == 3
    receiver = Receiver()
    deliver(receiver)
    deliver(receiver)
    assert sorted(receiver.json(i)["payload"]["id"] for i in range(len(receiver.requests))) == ["g:0", "g:1", "g:2"]
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 3


def test_a_delivery_a_dead_worker_had_sent_goes_again_after_its_lease_under_the_same_id(account, clock, deliver):
    subscribe(account, hook(account))
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=SMS)
    fan_out(now=clock())
    dead = uuid.uuid4()
    [claimed] = worker.claim(limit=10, busy=[], per_endpoint=10, now=clock(), token=dead)
    # The dead worker's request may have reached the receiver; its outcome was never written.
    clock.advance(worker.LEASE_SECONDS + 1)
    receiver = Receiver()
    deliver(receiver)
    delivery = Delivery.objects.get(pk=claimed)
    assert len(receiver.requests) == 1 and delivery.status == DeliveryStatus.DELIVERED
    # At least once: the receiver drops a repeat by the delivery id, the same on every attempt.
    assert receiver.requests[0].headers["x-webhook-delivery"] == str(delivery.uuid)
