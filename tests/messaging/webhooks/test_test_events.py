"""The webhook page's test event: shaped like the webhook's real traffic, shown queued at once,
and the form and refusals that go with it."""

import copy
import json

import pytest

from messaging.channels.whatsapp.events import WHATSAPP_MESSAGE_STATUS
from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import formats, services
from messaging.webhooks.models import Delivery, DeliveryStatus
from messaging.webhooks.routing import fan_out
from portal.core import events
from portal.core.events.models import Event

HX = {"HTTP_HX_REQUEST": "true"}


def hook(account, **data):
    return services.create_webhook(
        account=account, data={"name": "Orders", "uri": "https://hooks.example.com/", **data}
    )


def subscribe(account, webhook, event=SMS_MESSAGE_STATUS):
    return services.create_subscription(
        account=account, data={"event": event, "identity": "all", "webhook_id": str(webhook.uuid)}
    )


def test_a_subscribed_webhooks_test_looks_exactly_like_its_subscription_traffic(account, receiver, deliver, clock):
    webhook = hook(account)
    subscribe(account, webhook)
    example = copy.deepcopy(formats.of(SMS_MESSAGE_STATUS).example)
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload=example)  # real traffic
    services.send_test_event(webhook=webhook, event_type=SMS_MESSAGE_STATUS)

    clock.advance(1)  # the test delivery is due from the moment it was queued
    deliver(receiver)

    real, test = (json.loads(r.content) for r in receiver.requests)
    assert real == test == {"event": SMS_MESSAGE_STATUS, "payload": example}
    assert {r.headers["x-webhook-event"] for r in receiver.requests} == {SMS_MESSAGE_STATUS}


def test_an_unsubscribed_webhook_gets_the_shape_of_sends_naming_it(account, receiver, deliver, clock):
    webhook = hook(account)
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload={"id": "g:1"}, webhook_id=str(webhook.uuid))
    services.send_test_event(webhook=webhook, event_type=SMS_MESSAGE_STATUS)

    clock.advance(1)
    deliver(receiver)

    real, test = (json.loads(r.content) for r in receiver.requests)
    assert "event" not in real and "event" not in test and test["status"] == "DELIVRD"


def test_channel_events_are_wrapped_for_every_webhook(account):
    event = services.send_test_event(webhook=hook(account), event_type=WHATSAPP_MESSAGE_STATUS)
    assert event.delivery.wrapped


def test_the_test_is_queued_at_once_and_never_fanned_out_to_subscriptions(account):
    webhook, other = hook(account), hook(account, name="Other", uri="https://other.example.com/")
    subscribe(account, other)

    event = services.send_test_event(webhook=webhook, event_type=SMS_MESSAGE_STATUS)

    assert Event.objects.get(pk=event.pk).processed_at is not None
    assert list(Delivery.objects.values_list("webhook", "status")) == [(webhook.pk, DeliveryStatus.PENDING)]
    assert fan_out() == (0, 0)


def test_the_page_shows_the_queued_test_and_polls_until_it_is_done(user_client, account):
    webhook = hook(account)
    page = user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()
    assert "No deliveries yet." in page and 'hx-trigger="every 2s"' not in page

    res = user_client.post(f"/developer/webhooks/{webhook.uuid}/test/", {"event": SMS_MESSAGE_STATUS}, **HX)
    body = res.content.decode()
    assert res.status_code == 200 and "as the flat payload" in body and "webhook_id" in body
    assert 'id="recent-deliveries"' in body and 'hx-swap-oob="true"' in body and "No deliveries yet." not in body

    fragment = user_client.get(f"/developer/webhooks/{webhook.uuid}/?part=recent", **HX).content.decode()
    assert fragment.lstrip().startswith('<section id="recent-deliveries"') and "Pending" in fragment
    assert 'hx-trigger="every 2s"' in fragment

    Delivery.objects.update(status=DeliveryStatus.DELIVERED)
    done = user_client.get(f"/developer/webhooks/{webhook.uuid}/?part=recent", **HX).content.decode()
    assert "Delivered" in done and "hx-trigger" not in done


def test_the_page_says_which_shape_a_subscribed_test_gets(user_client, account):
    webhook = hook(account)
    subscribe(account, webhook)
    page = user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()
    assert 'wrapped {"event", "payload"}' in page
    res = user_client.post(f"/developer/webhooks/{webhook.uuid}/test/", {"event": SMS_MESSAGE_STATUS}, **HX)
    assert "wrapped as" in res.content.decode() and "subscription" in res.content.decode()

    plain = user_client.post(f"/developer/webhooks/{webhook.uuid}/test/", {"event": SMS_MESSAGE_STATUS})
    assert plain.status_code == 302
    flash = user_client.get(plain["Location"]).content.decode()
    assert "wrapped as {event, payload}" in flash


def test_new_webhook_page_has_one_heading(user_client):
    page = user_client.get("/developer/webhooks/new/").content.decode()
    assert page.count("New webhook</h") == 1 and "<h1>New webhook</h1>" in page
    dialog = user_client.get("/developer/webhooks/new/", **HX).content.decode()
    assert dialog.count("New webhook</h2>") == 1


def test_edit_page_does_not_repeat_the_name_as_a_second_heading(user_client, account):
    webhook = hook(account)
    page = user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()
    assert f"Edit {webhook.name}</h2>" not in page and "<h2>Settings</h2>" in page


FORM = {"name": "", "uri": "https://hooks.example.com/", "status": "1", "kind": "standard", "method": "POST"}


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_typed_secret_survives_a_validation_error(user_client, headers):
    res = user_client.post(
        "/developer/webhooks/new/", {**FORM, "secret": "s3cret-typed", "body_format": "raw"}, **headers
    )
    assert res.status_code == 422 and 'value="s3cret-typed"' in res.content.decode()


def test_a_stored_secret_is_still_never_shown(user_client, account):
    webhook = hook(account, secret="stored-secret")
    assert "stored-secret" not in user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()


def test_a_loopback_url_names_the_setting_that_allows_it(user_client, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    res = user_client.post(
        "/developer/webhooks/new/", {**FORM, "name": "Local", "uri": "http://127.0.0.1:9000/", "body_format": "raw"}
    )
    assert res.status_code == 422 and "WEBHOOKS_ALLOW_LOOPBACK=true" in res.content.decode()
    private = user_client.post(
        "/developer/webhooks/new/", {**FORM, "name": "Lan", "uri": "http://10.0.0.1/", "body_format": "raw"}
    )
    assert "WEBHOOKS_ALLOW_LOOPBACK" not in private.content.decode()


def test_failures_in_a_row_are_counted_in_words(user_client, account):
    webhook = hook(account)
    page = user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()
    assert "0 failures in a row" in page and "failure(s)" not in page
    type(webhook).objects.filter(pk=webhook.pk).update(consecutive_failures=1)
    assert "1 failure in a row" in user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()
