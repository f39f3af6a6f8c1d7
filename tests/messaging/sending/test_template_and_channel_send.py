"""sms/send/template and the channel API sms/message/send."""

import pytest

from messaging.pipeline.models import Message


def test_template_send_by_alias_fills_variables(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    body = {
        "alias": "otp",
        "data": {"var1": "4821"},
        "recipient": {"to": ["919876543210", "919876543211"]},
        "meta": {"foreign_id": "order-7"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post("/api/v2/sms/send/template", body, format="json")
    out = res.json()
    assert res.status_code == 200 and out["status"] == 200
    assert out["message"] == "2 numbers accepted for delivery." and out["group_id"]
    assert out["data"][0]["customid"] == "order-7"
    message = Message.objects.filter(account=account).first()
    assert message.text == "Your OTP is 4821. Do not share it." and message.template_id == "1107161521283358301"


def test_template_send_by_dlt_id(api_client, sending_setup, django_capture_on_commit_callbacks):
    body = {"id": "1107161521283358301", "data": {"var1": "1"}, "recipient": {"to": "919876543210"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v2/sms/send/template", body, format="json").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": {}, "recipient": {"to": ["919876543210"]}}, "alias"),
        ({"alias": "nope", "data": {}, "recipient": {"to": ["919876543210"]}}, "alias"),
        ({"alias": "otp", "data": {}, "recipient": {"to": ["919876543210"]}}, "data.var1"),
        ({"alias": "otp", "data": {"var1": "1"}, "recipient": {}}, "recipient.to"),
        ({"alias": "otp", "data": {"var1": "1"}, "recipient": {"group_id": "5"}}, "recipient.group_id"),
        ({"alias": "otp", "recipient": {"to": ["919876543210"]}}, "data"),
    ],
)
def test_template_send_errors(api_client, sending_setup, body, field):
    res = api_client.post("/api/v2/sms/send/template", body, format="json")
    assert res.status_code == 422 and field in res.json()["errors"]


def test_channel_send(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    body = {
        "channels": [{"name": "sms", "from": "ACMEIN", "meta": {"service": "T", "foreign_id": "f-1"}}],
        "recipient": {"to": ["919876543210"]},
        "message": {"type": "text", "payload": {"text": "Your OTP is 99. Do not share it."}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post("/api/v2/sms/message/send", body, format="json")
    out = res.json()
    assert out["status"] == "OK" and out["message"] == "Message(s) Queued successfully"
    item = out["data"][0]
    assert item["channel"] == "sms" and item["from"] == "ACMEIN" and item["to"] == "919876543210"
    assert item["status"] == "AWAITING-DLR" and item["foreign_id"] == "f-1" and item["credits"] == 0.25


def test_channel_send_defaults_to_the_first_sms_service(api_client, sending_setup, django_capture_on_commit_callbacks):
    body = {
        "channels": [{"name": "sms", "from": "ACMEIN"}],
        "recipient": {"to": "919876543210"},
        "message": {"type": "text", "payload": {"text": "Your OTP is 99. Do not share it."}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v2/sms/message/send", body, format="json").json()["data"][0]["status"] == (
            "AWAITING-DLR"
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(channels=[]), "channels"),
        (lambda b: b["channels"][0].update(name="fax"), "channels.0.name"),
        (lambda b: b["channels"][0].pop("from"), "channels.0.from"),
        (lambda b: b["message"].update(type="image"), "message.type"),
        (lambda b: b["message"]["payload"].update(text="x" * 4097), "message.payload.text"),
    ],
)
def test_channel_send_errors(api_client, sending_setup, change, field):
    body = {
        "channels": [{"name": "sms", "from": "ACMEIN"}],
        "recipient": {"to": ["919876543210"]},
        "message": {"type": "text", "payload": {"text": "hello"}},
    }
    change(body)
    res = api_client.post("/api/v2/sms/message/send", body, format="json")
    assert res.status_code == 422 and field in res.json()["errors"]
