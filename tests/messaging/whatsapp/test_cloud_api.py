"""Step two: the Cloud API connector against the simulator process over real HTTP, and the
webhook intake (verification handshake, signatures, statuses, inbound, template review)."""

import json
import time
from decimal import Decimal

import httpx
import pytest
from django.urls import reverse

from accounts.services import credits
from messaging.channels.whatsapp import cloud_api, message_templates, numbers
from messaging.channels.whatsapp.api.channel_request import outgoing_for
from messaging.channels.whatsapp.content import parse
from messaging.channels.whatsapp.models import InboundMessage, ServiceWindow, StatusRecord, TemplateStatus
from messaging.channels.whatsapp.sending import submit
from messaging.channels.whatsapp.simulator.process import SimulatorProcess
from messaging.models import AccountProduct, Product
from messaging.pipeline.models import Message
from messaging.pipeline.status import Progress
from messaging.pricing.services import save_price
from portal.core.errors import FieldErrors
from portal.core.events.models import Event
from tests.messaging.whatsapp.conftest import BUSINESS, CUSTOMER, meta_template_data

SECRET = "app-secret-for-tests"
QUICK = {"sent_after": 0.02, "delivered_after": 0.05, "read_after": 0.08, "review_seconds": 0.2, "errors": {},
         "delivered_ratio": 1.0, "read_ratio": 1.0, "read_without_delivered_ratio": 0, "duplicate_ratio": 0.5,
         "out_of_order_ratio": 0.3, "seed": 7}  # fmt: skip


def wait_for(check, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def simulator(live_server):
    with SimulatorProcess(
        webhook_url=f"{live_server.url}/whatsapp/cloud/webhook", app_secret=SECRET, config=QUICK
    ) as sim:
        yield sim


@pytest.fixture
def wa_number(transactional_db, product_rows, account, simulator):
    AccountProduct.objects.get_or_create(account=account, product=Product.objects.get(code="WAP"))
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    return numbers.onboard(
        account=account,
        data={"number": BUSINESS, "display_name": "Acme", "api_base_url": simulator.url, "app_secret": SECRET,
              "verify_token": "verify-me"},
    )  # fmt: skip


def _text(text="Hello"):
    errors = FieldErrors()
    parsed = parse({"type": "text", "payload": {"text": text}}, errors)
    return outgoing_for([CUSTOMER], parsed, sender=BUSINESS)


def test_verification_handshake(live_server, wa_number):
    url = f"{live_server.url}/whatsapp/cloud/webhook"
    ok = httpx.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"})
    assert bad.status_code == 403


def _inbound_payload(number, wamid="wamid.IN1", text="Hi there"):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": number.number, "phone_number_id": number.phone_number_id},
        "contacts": [{"profile": {"name": "Asha"}, "wa_id": CUSTOMER}],
        "messages": [
            {"from": CUSTOMER, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}
        ],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": number.waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def test_a_bad_signature_is_401_and_changes_nothing(client, account, business_number):
    body = json.dumps(_inbound_payload(business_number)).encode()
    url = reverse("whatsapp-cloud-webhook")
    for signature in ("", "sha256=" + "0" * 64, cloud_api.sign("another-secret", body)):
        res = client.post(url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)
        assert res.status_code == 401
    assert not InboundMessage.objects.exists() and not ServiceWindow.objects.exists()
    good = client.post(url, body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body))  # fmt: skip
    assert good.status_code == 200 and good.json() == {"received": True}
    again = client.post(
        url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body)
    )
    assert again.status_code == 200 and InboundMessage.objects.count() == 1  # a redelivered webhook is stored once
    inbound = InboundMessage.objects.get()
    assert (inbound.customer, inbound.text, inbound.profile_name) == (CUSTOMER, "Hi there", "Asha")
    assert ServiceWindow.objects.filter(number=business_number, customer=CUSTOMER).exists()
    event = Event.objects.get(type="whatsapp:message:in")
    assert event.payload["channels"] == [{"name": "whatsapp", "to": BUSINESS}] and event.payload["message"][
        "payload"
    ] == {"text": "Hi there"}


def test_inbound_stop_stops_marketing(client, account, business_number):
    from messaging import consent

    body = json.dumps(_inbound_payload(business_number, text="STOP")).encode()
    client.post(reverse("whatsapp-cloud-webhook"), body, content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=cloud_api.sign("s3cret", body))  # fmt: skip
    assert consent.is_suppressed(account, "whatsapp", CUSTOMER, product_code="WMC")
    assert not consent.is_suppressed(account, "whatsapp", CUSTOMER, product_code="WAP")


def test_end_to_end_through_the_simulator(account, wa_number, simulator):
    assert simulator.control(
        "inbound", {"phone_number_id": wa_number.phone_number_id, "from": CUSTOMER, "text": "Hello?"}
    )["delivered"]
    assert wait_for(lambda: ServiceWindow.objects.filter(number=wa_number, customer=CUSTOMER).exists())
    balance = credits.balance(account)
    sent = submit(account=account, outgoing=_text("We are here to help"))
    assert sent.items[0]["status"] == "queued"
    message = Message.objects.get(batch=sent.batch)
    assert message.supplier == "cloud_api" and message.supplier_message_id.startswith("wamid.")
    taken = simulator.control("sent")["data"][-1]
    assert taken["body"] == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER,
                             "type": "text", "text": {"body": "We are here to help", "preview_url": False}}  # fmt: skip
    assert wait_for(lambda: Message.objects.get(pk=message.pk).progress == Progress.READ)
    message.refresh_from_db()
    assert message.status == "read" and credits.balance(account) == balance - Decimal("0.5")
    timeline = list(StatusRecord.objects.filter(wamid=message.supplier_message_id).values_list("status", flat=True))
    assert {"sent", "delivered", "read"} <= set(timeline)
    statuses = set(Event.objects.filter(type="whatsapp:message:status").values_list("payload__status", flat=True))
    assert "read" in statuses


def test_meta_templates_are_reviewed_by_the_provider(account, wa_number):
    approved = message_templates.create(account=account, data=meta_template_data())
    rejected = message_templates.create(account=account, data=meta_template_data(name="reject_me"))
    assert approved.status == TemplateStatus.PENDING
    assert wait_for(lambda: approved.__class__.objects.get(pk=approved.pk).status == TemplateStatus.APPROVED)
    assert wait_for(lambda: rejected.__class__.objects.get(pk=rejected.pk).status == TemplateStatus.REJECTED)
    rejected.refresh_from_db()
    assert rejected.reason == "INVALID_FORMAT" and rejected.provider_id


def test_provider_refusals_are_refunded_with_their_code(account, wa_number, simulator):
    from django.utils import timezone

    from messaging.channels.whatsapp import window

    window.refresh(wa_number, CUSTOMER, timezone.now())
    simulator.control("config", {"refuse": {"131056": 1.0}})
    balance = credits.balance(account)
    sent = submit(account=account, outgoing=_text("Pair rate"))
    message = Message.objects.get(batch=sent.batch)
    assert (message.status, message.status_code) == ("failed", "131056")
    assert credits.balance(account) == balance


def test_throttling_slows_the_number_instead_of_failing(account, wa_number, simulator):
    from django.utils import timezone

    from messaging.channels.whatsapp import window

    simulator.control("config", {"rate_per_number": 3})
    customers = [f"91987654{n:04d}" for n in range(8)]
    now = timezone.now()
    for c in customers:
        window.refresh(wa_number, c, now)
    errors = FieldErrors()
    parsed = parse({"type": "text", "payload": {"text": "Throttled"}}, errors)
    sent = submit(account=account, outgoing=outgoing_for(customers, parsed, sender=BUSINESS))
    statuses = list(Message.objects.filter(batch=sent.batch).values_list("status_code", "supplier_message_id"))
    assert all(sid.startswith("wamid.") for _, sid in statuses), statuses
    assert simulator.control("health")["throttled"] > 0
