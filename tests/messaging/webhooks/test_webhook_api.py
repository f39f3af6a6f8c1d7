"""Contract tests: /api/v2/developer/webhooks."""

import pytest

from messaging.webhooks import services
from messaging.webhooks.models import Webhook
from messaging.webhooks.services import LOOPBACK_HINT

URL = "/api/v2/developer/webhooks"
FIELDS = {"id", "name", "uri", "secret", "verification_code", "status", "created_at", "updated_at"}
SECRET_CHARS = "The secret may only contain visible ASCII characters (no spaces)."


def make(account, **data):
    return services.create_webhook(account=account, data={"name": "Hook", "uri": "https://example.com/hook", **data})


def test_create_returns_the_masked_object(api_client, account):
    res = api_client.post(
        URL,
        {"name": "DLRs", "uri": "https://example.com/dlr", "secret": "s3cret", "token": "9012", "status": 1},
        format="json",
    )
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "Created Successfully"
    data = body["data"]
    assert set(data) == FIELDS
    assert data["name"] == "DLRs" and data["uri"] == "https://example.com/dlr" and data["status"] == 1
    assert data["secret"] == "*****" and data["verification_code"] == "*****"
    assert data["created_at"].endswith("Z") and len(data["created_at"]) == 27
    webhook = Webhook.objects.get(uuid=data["id"])
    assert webhook.account == account and webhook.secret == "s3cret" and webhook.token == "9012"
    assert webhook.needs_verification


def test_create_without_secret_or_token_gives_nulls_and_defaults_active(api_client):
    data = api_client.post(URL, {"name": "A", "uri": "http://example.com/"}, format="json").json()["data"]
    assert data["secret"] is None and data["verification_code"] is None and data["status"] == 1


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"uri": "https://example.com"}, "name", "The name field is required."),
        ({"name": "x"}, "uri", "The uri field is required."),
        ({"name": "x", "uri": "not a url"}, "uri", "The uri must be a valid URL (http or https)."),
        ({"name": "x", "uri": "ftp://example.com/"}, "uri", "The uri must be a valid URL (http or https)."),
        ({"name": "x", "uri": "http://10.0.0.1/"}, "uri", "The URL points to a private or reserved address."),
        (
            {"name": "x", "uri": "http://localhost:8000/"},
            "uri",
            "The URL points to a private or reserved address. " + LOOPBACK_HINT,
        ),
        ({"name": "x", "uri": "http://u:p@example.com/"}, "uri", "URLs with credentials are not accepted."),
        ({"name": "x", "uri": "https://example.com", "status": 5}, "status", "The selected status is invalid."),
        ({"name": "x" * 201, "uri": "https://example.com"}, "name", "The name may not be greater than 200 characters."),
        # The secret travels in the Authorization header: text an HTTP header cannot hold is refused
        # when saved (it used to crash the verification challenge after the webhook was stored).
        ({"name": "x", "uri": "https://example.com", "secret": "晿V", "token": "t"}, "secret", SECRET_CHARS),
        ({"name": "x", "uri": "https://example.com", "secret": "two words"}, "secret", SECRET_CHARS),
        ({"name": "x", "uri": "https://example.com", "secret": "tab\there"}, "secret", SECRET_CHARS),
    ],
)
def test_create_validation_is_422_per_field(api_client, payload, field, message):
    res = api_client.post(URL, payload, format="json")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422
    assert body["errors"][field] == [message]
    assert not Webhook.objects.exists()


def test_list_is_paginated_and_filters_by_name_or_id(api_client, account, other_account):
    a = make(account, name="Orders")
    make(account, name="Receipts")
    make(other_account, name="Orders elsewhere")
    body = api_client.get(URL).json()
    assert body["message"] == "OK" and body["meta"]["total"] == 2 and body["meta"]["per_page"] == 15
    assert set(body["links"]) == {"first", "last", "prev", "next"}
    assert set(body["data"][0]) == FIELDS
    named = api_client.get(URL, {"filter[name]": "order"}).json()["data"]
    assert [w["name"] for w in named] == ["Orders"]
    by_id = api_client.get(URL, {"filter[name]": str(a.uuid)}).json()["data"]
    assert [w["id"] for w in by_id] == [str(a.uuid)]


def test_list_queries_are_bounded(api_client, account, django_assert_max_num_queries):
    for i in range(20):
        make(account, name=f"H{i}")
    with django_assert_max_num_queries(8):
        assert len(api_client.get(URL).json()["data"]) == 15


def test_show_update_delete(api_client, account):
    webhook = make(account, secret="old")
    res = api_client.get(f"{URL}/{webhook.uuid}")
    assert res.status_code == 200 and res.json()["message"] == "OK" and res.json()["data"]["status"] == 1

    res = api_client.put(
        f"{URL}/{webhook.uuid}", {"name": "Renamed", "uri": "https://example.org/x", "status": 0}, format="json"
    )
    assert res.status_code == 200 and res.json()["message"] == "Updated Successfully"
    assert res.json()["data"]["name"] == "Renamed" and res.json()["data"]["status"] == 0
    webhook.refresh_from_db()
    assert webhook.secret == "old" and not webhook.is_active  # secret kept when not sent

    res = api_client.put(f"{URL}/{webhook.uuid}", {"uri": "https://example.org/x"}, format="json")
    assert res.status_code == 422 and "name" in res.json()["errors"]

    api_client.put(f"{URL}/{webhook.uuid}", {"name": "R", "uri": "https://example.org/x", "status": 1}, format="json")
    res = api_client.delete(f"{URL}/{webhook.uuid}")
    assert res.json() == {"status": "OK", "code": 200, "message": "Deleted Successfully", "data": []}
    # Soft delete: still there, inactive; a status 1 update restores it.
    assert api_client.get(f"{URL}/{webhook.uuid}").json()["data"]["status"] == 0
    put = api_client.put(
        f"{URL}/{webhook.uuid}", {"name": "R", "uri": "https://example.org/x", "status": 1}, format="json"
    )
    assert put.json()["data"]["status"] == 1


def test_method_override_deletes(api_client, account):
    webhook = make(account)
    res = api_client.post(f"{URL}/{webhook.uuid}?_method=DELETE")
    assert res.status_code == 200 and res.json()["message"] == "Deleted Successfully"


def test_other_accounts_webhook_is_404_everywhere(api_client, other_account):
    theirs = make(other_account)
    for method in ("get", "put", "delete"):
        res = getattr(api_client, method)(f"{URL}/{theirs.uuid}", {"name": "x", "uri": "https://e.com"}, format="json")
        assert res.status_code == 404 and res.json()["message"] == "Not Found."
    assert api_client.post(f"{URL}/{theirs.uuid}/test", format="json").status_code == 404
    assert api_client.get(f"{URL}/not-a-uuid").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.name == "Hook"


def test_unauthenticated_is_401(client):
    res = client.get(URL)
    assert res.status_code == 401 and res.json()["message"] == "Unauthenticated."


def test_test_endpoint_queues_the_example_for_this_webhook_only(api_client, account):
    from portal.core.events.models import Event

    webhook = make(account)
    res = api_client.post(f"{URL}/{webhook.uuid}/test", {"event": "whatsapp:message:status"}, format="json")
    assert res.status_code == 200 and res.json()["message"] == "Scheduled successfully."
    event = Event.objects.get(account=account)
    assert event.type == "whatsapp:message:status" and event.webhook_id == str(webhook.uuid)
    assert event.payload["channel"] == "whatsapp"
    assert api_client.post(f"{URL}/{webhook.uuid}/test", {"event": "nope"}, format="json").status_code == 422


def test_a_secret_an_http_header_cannot_hold_is_refused_on_edit_too(api_client, account):
    webhook = make(account, secret="s3cret")
    res = api_client.put(
        f"{URL}/{webhook.uuid}", {"name": "Hook", "uri": webhook.uri, "secret": "naïve"}, format="json"
    )
    assert res.status_code == 422 and res.json()["errors"]["secret"] == [SECRET_CHARS]
    webhook.refresh_from_db()
    assert webhook.secret == "s3cret"


def test_every_visible_ascii_character_is_a_valid_secret(api_client):
    secret = "".join(chr(c) for c in range(0x21, 0x7F))
    res = api_client.post(URL, {"name": "A", "uri": "https://example.com/", "secret": secret}, format="json")
    assert res.status_code == 200 and Webhook.objects.get().secret == secret
