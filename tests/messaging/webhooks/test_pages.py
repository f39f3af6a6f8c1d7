"""Pages: webhooks, subscriptions, delivery log (filters, detail, replay), the list of event types."""

import httpx
import pytest

from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import services, worker
from messaging.webhooks.models import Delivery, DeliveryStatus, Subscription, Webhook
from portal.core import events
from portal.core.events.models import Event

HX = {"HTTP_HX_REQUEST": "true"}


def hook(account, **data):
    return services.create_webhook(
        account=account, data={"name": "Orders", "uri": "https://hooks.example.com/", **data}
    )


def delivered_log(account, clock, status=200, **emit):
    webhook = hook(account)
    events.emit(
        account=account,
        type=SMS_MESSAGE_STATUS,
        payload={"id": "g:1", "status": "DELIVRD"},
        webhook_id=str(webhook.uuid),
        **emit,
    )
    handler = lambda request: httpx.Response(status, json={"received": True})  # noqa: E731
    worker.run(
        seconds=5, clock=clock, client_factory=lambda t: httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    return webhook, Delivery.objects.get(webhook=webhook)


def test_nav_links_to_webhooks(user_client):
    html = user_client.get("/").content.decode()
    assert 'href="/developer/webhooks/"' in html


def test_list_page_fragment_filters_and_empty_state(user_client, account, other_account):
    res = user_client.get("/developer/webhooks/")
    assert res.status_code == 200 and "No webhooks yet." in res.content.decode()
    hook(account, name="Orders")
    hook(account, name="Receipts")
    hook(other_account, name="Secret other")
    page = user_client.get("/developer/webhooks/").content.decode()
    assert "Orders" in page and "Receipts" in page and "Secret other" not in page
    fragment = user_client.get("/developer/webhooks/", {"name": "rec"}, **HX)
    html = fragment.content.decode()
    assert html.startswith('<div id="webhook-table"') and "Receipts" in html and "Orders" not in html


def test_create_dialog_validates_inline_and_saves(user_client, account):
    form = user_client.get("/developer/webhooks/new/", **HX)
    assert 'id="webhook-form"' in form.content.decode()
    bad = user_client.post(
        "/developer/webhooks/new/",
        {
            "name": "x",
            "uri": "http://10.0.0.1/",
            "status": "1",
            "kind": "standard",
            "method": "GET",
            "body_format": "raw",
        },
        **HX,
    )
    assert bad.status_code == 422 and "private or reserved" in bad.content.decode()
    ok = user_client.post(
        "/developer/webhooks/new/",
        {
            "name": "CRM",
            "uri": "https://crm.example.com/ack?id={{id}}",
            "status": "1",
            "kind": "custom",
            "method": "GET",
            "params": "mobile={{mobile}}\nstatus={{status}}",
            "body_format": "raw",
        },
        **HX,
    )
    assert ok.status_code == 204 and ok["HX-Redirect"] == "/developer/webhooks/"
    webhook = Webhook.objects.get(account=account)
    assert webhook.kind == "custom" and webhook.params == [["mobile", "{{mobile}}"], ["status", "{{status}}"]]


def test_edit_page_saves_and_sends_a_test_event(user_client, account):
    webhook = hook(account)
    page = user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()
    assert "Send test event" in page and "Subscriptions" in page
    res = user_client.post(
        f"/developer/webhooks/{webhook.uuid}/",
        {
            "name": "Renamed",
            "uri": "https://hooks.example.com/v2",
            "status": "1",
            "kind": "standard",
            "method": "POST",
            "body_format": "raw",
        },
    )
    assert res.status_code == 302
    webhook.refresh_from_db()
    assert webhook.name == "Renamed" and webhook.uri == "https://hooks.example.com/v2"

    res = user_client.post(f"/developer/webhooks/{webhook.uuid}/test/", {"event": "sms:message:status"}, **HX)
    assert res.status_code == 200 and "queued" in res.content.decode()
    event = Event.objects.get(account=account)
    assert event.webhook_id == str(webhook.uuid) and event.payload["status"] == "DELIVRD"

    services.set_active(webhook=webhook, active=False)
    res = user_client.post(f"/developer/webhooks/{webhook.uuid}/test/", {"event": "sms:message:status"}, **HX)
    assert res.status_code == 422 and "inactive" in res.content.decode()


def test_toggle_deactivates_and_activates(user_client, account):
    webhook = hook(account)
    user_client.post(f"/developer/webhooks/{webhook.uuid}/toggle/")
    webhook.refresh_from_db()
    assert not webhook.is_active
    user_client.post(f"/developer/webhooks/{webhook.uuid}/toggle/")
    webhook.refresh_from_db()
    assert webhook.is_active


def test_subscriptions_page_create_and_delete(user_client, account):
    webhook = hook(account)
    assert "No subscriptions." in user_client.get("/developer/webhooks/subscriptions/").content.decode()
    res = user_client.post(
        "/developer/webhooks/subscriptions/new/",
        {"event": "sms:message:status", "identity": "sender:TXTSMS", "webhook_id": str(webhook.uuid)},
        **HX,
    )
    assert res.status_code == 204
    subscription = Subscription.objects.get(account=account)
    html = user_client.get("/developer/webhooks/subscriptions/", {"event": "sms:message:status"}, **HX).content.decode()
    assert html.startswith('<div id="subscription-table"') and "sender:TXTSMS" in html
    user_client.post(f"/developer/webhooks/subscriptions/{subscription.pk}/delete/")
    assert not Subscription.objects.exists()


def test_delivery_log_filters_detail_and_replay(user_client, account, clock, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    webhook, delivery = delivered_log(account, clock, status=500)
    assert delivery.status == DeliveryStatus.FAILED
    page = user_client.get("/developer/webhooks/deliveries/").content.decode()
    assert "sms:message:status" in page and "Failed" in page and "Replay selected" in page
    for params, present in [
        ({"status": "failed"}, True),
        ({"status": "delivered"}, False),
        ({"event": "vmn:message:in"}, False),
        ({"webhook": str(webhook.uuid)}, True),
        ({"date_from": "2000-01-01", "date_to": "2000-01-02"}, False),
    ]:
        html = user_client.get("/developer/webhooks/deliveries/", params, **HX).content.decode()
        assert html.startswith('<div id="delivery-table"')
        assert (str(delivery.uuid) in html) is present, params

    detail = user_client.get(f"/developer/webhooks/deliveries/{delivery.uuid}/").content.decode()
    assert "Attempt 1" in detail and "HTTP 500" in detail and "Signature" in detail and "&quot;received&quot;" in detail

    res = user_client.post("/developer/webhooks/deliveries/replay/", {"ids": [str(delivery.uuid)]})
    assert res.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.max_attempts == 2


def test_replay_all_failed_matching_the_filters(user_client, account, clock, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    _, delivery = delivered_log(account, clock, status=500)
    user_client.post("/developer/webhooks/deliveries/replay/", {"all": "1", "event": "vmn:message:in"})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED  # filter did not match
    user_client.post("/developer/webhooks/deliveries/replay/", {"all": "1", "event": "sms:message:status"})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_delivery_log_queries_are_bounded(user_client, account, clock, django_assert_max_num_queries):
    webhook = hook(account)
    for _ in range(30):
        events.emit(account=account, type=SMS_MESSAGE_STATUS, payload={"id": "g:1"}, webhook_id=str(webhook.uuid))
    from messaging.webhooks.routing import fan_out

    fan_out(now=clock())
    with django_assert_max_num_queries(14):
        assert user_client.get("/developer/webhooks/deliveries/").status_code == 200


def test_event_types_lists_every_registered_event(user_client):
    html = user_client.get("/developer/webhooks/events/").content.decode()
    for name in (
        "sms:message:status",
        "whatsapp:message:in",
        "vmn:message:in",
        "contacts:subscriber:subscription",
        "voice:message:out",
        "link:visit",
        "portal:sender:reviewed",
    ):
        assert name in html


@pytest.mark.parametrize("suffix", ["", "toggle/", "test/", "verify/"])
def test_another_accounts_webhook_is_404(user_client, other_account, suffix):
    theirs = hook(other_account)
    method = user_client.get if suffix == "" else user_client.post
    assert method(f"/developer/webhooks/{theirs.uuid}/{suffix}").status_code == 404


def test_another_accounts_delivery_and_subscription_are_404(user_client, other_account, clock, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    webhook, delivery = delivered_log(other_account, clock, status=500)
    subscription = services.create_subscription(
        account=other_account, data={"event": "sms:message:status", "identity": "all", "webhook_id": str(webhook.uuid)}
    )
    assert user_client.get(f"/developer/webhooks/deliveries/{delivery.uuid}/").status_code == 404
    assert user_client.post(f"/developer/webhooks/subscriptions/{subscription.pk}/delete/").status_code == 404
    user_client.post("/developer/webhooks/deliveries/replay/", {"ids": [str(delivery.uuid)]})
    user_client.post("/developer/webhooks/deliveries/replay/", {"all": "1"})
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert str(delivery.uuid) not in user_client.get("/developer/webhooks/deliveries/").content.decode()


def test_pages_need_login(client):
    res = client.get("/developer/webhooks/")
    assert res.status_code == 302 and "/login/" in res["Location"]


def test_edit_never_shows_the_secret_and_keeps_or_clears_it(user_client, account):
    webhook = hook(account, secret="s3cret-value", token="tok-1")
    page = user_client.get(f"/developer/webhooks/{webhook.uuid}/").content.decode()
    assert "s3cret-value" not in page and "tok-1" not in page
    base = {
        "name": "Orders",
        "uri": "https://hooks.example.com/",
        "status": "1",
        "kind": "standard",
        "method": "POST",
        "body_format": "raw",
    }
    user_client.post(f"/developer/webhooks/{webhook.uuid}/", base)
    webhook.refresh_from_db()
    assert webhook.secret == "s3cret-value" and webhook.token == "tok-1"
    user_client.post(f"/developer/webhooks/{webhook.uuid}/", {**base, "secret": "new"})
    webhook.refresh_from_db()
    assert webhook.secret == "new"
    user_client.post(f"/developer/webhooks/{webhook.uuid}/", {**base, "clear_secret": "on", "clear_token": "on"})
    webhook.refresh_from_db()
    assert webhook.secret == "" and webhook.token == ""


def test_analysts_see_the_lists_but_cannot_edit(client, account):
    from accounts.models import Role
    from tests.factories import make_member

    hook(account)
    analyst = make_member(account, role=Role.ANALYST)
    client.force_login(analyst)
    html = client.get("/developer/webhooks/").content.decode()
    assert "Orders" in html and "New webhook" not in html and "/developer/webhooks/new/" not in html
    assert client.get("/developer/webhooks/deliveries/").status_code == 200
    assert client.get("/developer/webhooks/new/").status_code == 403
