"""Statuses arrive shuffled and duplicated (the provider retries, and its webhooks race): whatever
the order, a message ends at the furthest status it reached, moves only forward, and every
webhook is answered 200. Delivered after failed is ignored; read may come without delivered."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.channels.whatsapp import cloud_api
from messaging.pipeline.models import Batch, Message, State
from messaging.pipeline.status import Progress
from tests.messaging.whatsapp.conftest import CUSTOMER

pytestmark = pytest.mark.django_db
ORDER = {"sent": Progress.SENT, "delivered": Progress.DELIVERED, "read": Progress.READ}


def _webhook(number, wamid, status, at):
    item = {"id": wamid, "status": status, "timestamp": str(at), "recipient_id": CUSTOMER}
    if status == "failed":
        item["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": number.phone_number_id},
        "statuses": [item],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": number.waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def expected(statuses):
    """The outcome the rules give for a set of statuses, whatever their order."""
    if "failed" in statuses and not ({"delivered", "read"} & set(statuses)):
        return "failed"
    # A failure after delivery is ignored; a failure that came first blocks what follows, so the
    # outcome depends on order only then (checked separately below).
    return max((s for s in statuses if s != "failed"), key=ORDER.get)


def _message(account, number, wamid):
    from messaging.models import Product

    batch = Batch.objects.create(account=account, product=Product.objects.get(code="WAP"), channel="whatsapp")
    return Message.objects.create(
        batch=batch, account=account, index=1, mobile=CUSTOMER, iso="IN", sender=number.number, product_code="WAP",
        channel="whatsapp", text="x", encoding="wa", length=1, units=1, state=State.SUBMITTED, status="dispatched",
        progress=Progress.DISPATCHED, supplier="cloud_api", supplier_message_id=wamid,
    )  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(["sent", "delivered", "read"]), min_size=1, max_size=8),
    st.randoms(use_true_random=False),
)
def test_shuffled_and_duplicated_statuses_end_at_the_furthest(business_number, statuses, rnd):
    wamid = f"wamid.H{rnd.randrange(10**12)}"
    message = _message(business_number.account, business_number, wamid)
    client = Client()
    shuffled = statuses + rnd.sample(statuses, k=len(statuses) // 2)  # duplicates
    rnd.shuffle(shuffled)
    seen = []
    for i, status in enumerate(shuffled):
        body = json.dumps(_webhook(business_number, wamid, status, 1_700_000_000 + i)).encode()
        res = client.post(reverse("whatsapp-cloud-webhook"), body, content_type="application/json",
                          HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body))  # fmt: skip
        assert res.status_code == 200
        message.refresh_from_db()
        seen.append(message.progress)
    assert seen == sorted(seen)  # only forward
    assert message.status == expected(statuses)


def test_failed_before_delivery_is_final_and_delivered_after_failed_is_ignored(business_number):
    message = _message(business_number.account, business_number, "wamid.F1")
    client = Client()
    for i, status in enumerate(["failed", "delivered", "read"]):
        body = json.dumps(_webhook(business_number, "wamid.F1", status, 1_700_000_000 + i)).encode()
        client.post(reverse("whatsapp-cloud-webhook"), body, content_type="application/json",
                    HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body))  # fmt: skip
    message.refresh_from_db()
    assert (message.status, message.status_code, message.progress) == ("failed", "131026", Progress.FAILED)
    other = _message(business_number.account, business_number, "wamid.F2")
    for i, status in enumerate(["delivered", "failed"]):
        body = json.dumps(_webhook(business_number, "wamid.F2", status, 1_700_000_000 + i)).encode()
        client.post(reverse("whatsapp-cloud-webhook"), body, content_type="application/json",
                    HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body))  # fmt: skip
    other.refresh_from_db()
    assert other.status == "delivered"


def test_statuses_that_beat_the_send_answer_are_applied_once_it_is_recorded(business_number):
    """The provider's `sent` (even `read`) webhook can arrive before dispatch has recorded the
    wamid: the timeline keeps it, and recording the wamid replays it."""
    from messaging.channels.whatsapp.connector import CloudApiConnector

    message = _message(business_number.account, business_number, "")
    client = Client()
    for i, status in enumerate(["sent", "read"]):
        body = json.dumps(_webhook(business_number, "wamid.EARLY", status, 1_700_000_000 + i)).encode()
        client.post(reverse("whatsapp-cloud-webhook"), body, content_type="application/json",
                    HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body))  # fmt: skip
    message.refresh_from_db()
    assert message.progress == Progress.DISPATCHED  # nothing to move yet
    Message.objects.filter(pk=message.pk).update(supplier_message_id="wamid.EARLY")
    CloudApiConnector().schedule_receipts(["wamid.EARLY"])
    message.refresh_from_db()
    assert (message.status, message.progress) == ("read", Progress.READ)
