"""Keyword SMS to a virtual number, delivered by the SMS carrier to `POST /voice/vmn/sms`:
logged once per carrier message, keywords upper-cased, the number's inbound flow named, and
read back through `vmn/logs` by the number's account only."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from voice.models import NumberKind, VmnLog, VoiceNumber
from voice.services import flows

pytestmark = pytest.mark.django_db

VMN = "918068280099"
TOKEN = "carrier-shared-secret"


@pytest.fixture
def carrier(settings):
    settings.VOICE_VMN_SMS_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


@pytest.fixture
def vmn(account):
    flow = flows.create_flow(
        account=account, name="Offers", definition={"steps": [{"id": "a", "type": "say", "text": "Hi"}]}
    )
    return VoiceNumber.objects.create(account=account, number=VMN, kind=NumberKind.VMN, inbound_flow=flow)


def _send(client, **data):
    return client.post("/voice/vmn/sms", json.dumps(data), content_type="application/json")


def test_a_keyword_sms_is_logged_and_listed(carrier, vmn, api_client):
    res = _send(carrier, **{"from": "+91 98000 00001", "to": VMN, "text": "offer gold please", "id": "m-1"})
    assert res.status_code == 200 and res.json()["status"] == "OK"
    log = VmnLog.objects.get()
    assert (log.mobile, log.number, log.first_keyword, log.second_keyword) == ("919800000001", VMN, "OFFER", "GOLD")
    assert log.flow == vmn.inbound_flow and log.location_code == "IN" and log.account == vmn.account
    (row,) = api_client.get("/api/v2/vmn/logs", {"filter[number]": VMN}).json()["rows"]["data"]
    assert row["body"] == "offer gold please" and row["flow_id"] == vmn.inbound_flow_id
    form = carrier.post("/voice/vmn/sms", {"from": "919800000002", "to": VMN, "text": "STOP", "provider": "Jio"})
    assert form.status_code == 200 and VmnLog.objects.filter(provider="Jio", first_keyword="STOP").exists()


def test_a_redelivered_message_is_logged_once(carrier, vmn):
    message = {"from": "919800000001", "to": VMN, "text": "offer", "id": "carrier-42"}
    first, second = _send(carrier, **message), _send(carrier, **message)
    assert first.json()["data"]["id"] == second.json()["data"]["id"] and VmnLog.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_redeliveries_are_logged_once(settings, account):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    from voice.services import vmn as vmn_service

    VoiceNumber.objects.create(account=account, number=VMN, kind=NumberKind.VMN)
    barrier, ids = threading.Barrier(6), []

    def deliver():
        barrier.wait()
        try:
            ids.append(vmn_service.record_inbound(number=VMN, mobile="919800000001", body="x", message_id="m-9").pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and VmnLog.objects.filter(message_id="m-9").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"to": VMN, "text": "hi"}, "from"),
        ({"from": "12", "to": VMN, "text": "hi"}, "from"),
        ({"from": "919800000001", "to": VMN, "text": ""}, "text"),
        ({"from": "919800000001", "to": VMN, "text": "x" * 1601}, "text"),
        ({"from": "919800000001", "to": VMN, "text": "hi", "id": "x" * 101}, "id"),
        ({"from": "919800000001", "to": VMN, "text": ["hi"]}, "text"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(carrier, vmn, data, field):
    res = _send(carrier, **data)
    assert res.status_code == 422 and field in res.json()["errors"]
    assert not VmnLog.objects.exists()


def test_unknown_numbers_bad_bodies_and_tokens(carrier, vmn, settings):
    assert _send(carrier, **{"from": "919800000001", "to": "918068289999", "text": "hi"}).status_code == 404
    assert carrier.post("/voice/vmn/sms", "[1]", content_type="application/json").status_code == 400
    assert carrier.post("/voice/vmn/sms", "{", content_type="application/json").status_code == 400
    stranger = Client(HTTP_AUTHORIZATION="Bearer guess")
    assert _send(stranger, **{"from": "919800000001", "to": VMN, "text": "hi"}).status_code == 401
    assert Client().get("/voice/vmn/sms").status_code == 405
    settings.VOICE_VMN_SMS_TOKEN = ""
    assert _send(carrier, **{"from": "919800000001", "to": VMN, "text": "hi"}).status_code == 404
    assert not VmnLog.objects.exists()


def test_another_account_does_not_see_the_log(carrier, vmn, other_account):
    from rest_framework.test import APIClient

    from tests.factories import make_key

    _send(carrier, **{"from": "919800000001", "to": VMN, "text": "offer"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(other_account)[1]}")
    assert client.get("/api/v2/vmn/logs").json()["rows"]["data"] == []
