"""Contract tests: /api/v2/developer/subscriptions."""

import pytest

from messaging.webhooks import services
from messaging.webhooks.models import Subscription

URL = "/api/v2/developer/subscriptions"
FIELDS = {"id", "event", "identity", "payload", "webhook_id", "created_at"}


@pytest.fixture
def webhook(account):
    return services.create_webhook(account=account, data={"name": "Hook", "uri": "https://example.com/hook"})


def test_create_show_list_delete(api_client, account, webhook):
    res = api_client.post(
        URL, {"event": "sms:message:status", "identity": "all", "webhook_id": str(webhook.uuid)}, format="json"
    )
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Subscription Saved Successfully" and body["status"] == "OK"
    data = body["data"]
    assert set(data) == FIELDS
    assert isinstance(data["id"], int) and data["event"] == "sms:message:status" and data["identity"] == "all"
    assert data["payload"] == [] and data["webhook_id"] == str(webhook.uuid)

    shown = api_client.get(f"{URL}/{data['id']}").json()
    assert shown["message"] == "Subscription" and shown["data"] == data

    listed = api_client.get(URL).json()
    assert listed["message"] == "Subscriptions List" and listed["data"] == [data] and listed["meta"]["total"] == 1

    res = api_client.delete(f"{URL}/{data['id']}")
    assert res.json() == {"status": "OK", "code": 200, "message": "Subscription Deleted Successfully", "data": []}
    assert not Subscription.objects.exists()


def test_a_repeated_subscription_returns_the_existing_one(api_client, webhook):
    body = {"event": "vmn:message:in", "identity": "number:919220000000", "webhook_id": str(webhook.uuid)}
    first = api_client.post(URL, body, format="json").json()["data"]
    again = api_client.post(URL, body, format="json").json()["data"]
    assert first["id"] == again["id"] and Subscription.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"identity": "all"}, "event", "The event field is required."),
        ({"event": "sms:nope", "identity": "all"}, "event", "The selected event is invalid."),
        ({"event": "sms:message:status"}, "identity", "The identity field is required."),
        ({"event": "sms:message:status", "identity": "bogus id"}, "identity", None),
        ({"event": "sms:message:status", "identity": "all", "webhook_id": ""}, "webhook_id", None),
    ],
)
def test_validation(api_client, webhook, payload, field, message):
    payload = {"webhook_id": str(webhook.uuid), **payload}
    res = api_client.post(URL, payload, format="json")
    assert res.status_code == 422 and field in res.json()["errors"]
    if message:
        assert res.json()["errors"][field] == [message]


def test_a_webhook_of_another_account_is_invalid(api_client, other_account):
    theirs = services.create_webhook(account=other_account, data={"name": "T", "uri": "https://example.com/"})
    res = api_client.post(
        URL, {"event": "sms:message:status", "identity": "all", "webhook_id": str(theirs.uuid)}, format="json"
    )
    assert res.status_code == 422 and res.json()["errors"]["webhook_id"] == ["The selected webhook id is invalid."]


def test_customized_webhooks_take_only_status_events(api_client, account):
    custom = services.create_webhook(
        account=account, data={"name": "C", "uri": "https://example.com/?id={{id}}", "kind": "custom"}
    )
    bad = {"event": "vmn:message:in", "identity": "all", "webhook_id": str(custom.uuid)}
    assert api_client.post(URL, bad, format="json").status_code == 422
    ok = {"event": "sms:message:status", "identity": "all", "webhook_id": str(custom.uuid)}
    assert api_client.post(URL, ok, format="json").status_code == 200


def test_other_accounts_subscription_is_404(api_client, other_account):
    theirs_hook = services.create_webhook(account=other_account, data={"name": "T", "uri": "https://example.com/"})
    theirs = services.create_subscription(
        account=other_account,
        data={"event": "sms:message:status", "identity": "all", "webhook_id": str(theirs_hook.uuid)},
    )
    assert api_client.get(f"{URL}/{theirs.pk}").status_code == 404
    assert api_client.delete(f"{URL}/{theirs.pk}").status_code == 404
    assert api_client.get(f"{URL}/abc").status_code == 404
    assert Subscription.objects.filter(pk=theirs.pk).exists()
    assert api_client.get(URL).json()["data"] == []
