"""Sending to segments (`recipient.group_id`) and contact opt-outs reaching the send path's scrubbing."""

# ruff: noqa: F811  (the `sending_setup` fixture is imported from the sending tests)

import pytest

from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from messaging.pipeline.models import Message
from messaging.suppressions.models import Unsubscriber
from tests.messaging.sending.conftest import sending_setup  # noqa: F401  (the send fixture)

TEMPLATE_SEND = "/api/v2/sms/send/template"
CHANNEL_SEND = "/api/v2/sms/message/send"
OTP = "Your OTP is 99. Do not share it."


@pytest.fixture
def vips(account):
    contacts = [
        contact_services.create_contact(
            account=account, data={"identity": f"c{i}", "phone": f"91987654321{i}", "tags": ["vip"] if i < 3 else []}
        )
        for i in range(5)
    ]
    segment = segment_services.create_segment(
        account=account,
        data={"name": "VIP", "positive_tags": ["vip"], "positive_tags_operator": "any"},
    )
    return segment, contacts


def channel_body(recipient):
    return {
        "channels": [{"name": "sms", "from": "ACMEIN", "meta": {"service": "T"}}],
        "recipient": recipient,
        "message": {"type": "text", "payload": {"text": OTP}},
    }


def test_channel_send_to_a_segment_reaches_its_members(
    api_client,
    account,
    sending_setup,
    vips,
    django_capture_on_commit_callbacks,
):
    segment, _ = vips
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(CHANNEL_SEND, channel_body({"group_id": str(segment.pk)}), format="json")
    assert res.status_code == 200, res.json()
    out = res.json()
    assert out["status"] == "OK" and out["message"] == "Message(s) Queued successfully"
    assert sorted(item["to"] for item in out["data"]) == ["919876543210", "919876543211", "919876543212"]
    assert Message.objects.filter(account=account).count() == 3


def test_template_send_to_segments_and_numbers_sends_each_number_once(
    api_client,
    account,
    sending_setup,
    vips,
    django_capture_on_commit_callbacks,
):
    segment, _ = vips
    other = segment_services.create_segment(
        account=account, data={"name": "All", "type": "static", "members": [c.pk for c in vips[1][:2]]}
    )
    body = {
        "id": "1107161521283358301",
        "data": {"var1": "1"},
        "recipient": {"group_id": [segment.pk, other.pk], "to": ["919876543210", "919876543219"]},
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(TEMPLATE_SEND, body, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["message"] == "4 numbers accepted for delivery."
    assert sorted(Message.objects.filter(account=account).values_list("mobile", flat=True)) == [
        "919876543210",
        "919876543211",
        "919876543212",
        "919876543219",
    ]


@pytest.mark.parametrize("group_id", ["999999", "abc", [1, "x"]])
def test_an_unknown_segment_is_422(api_client, sending_setup, group_id):
    res = api_client.post(CHANNEL_SEND, channel_body({"group_id": group_id}), format="json")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["errors"]["recipient.group_id"] == ["The selected group id is invalid."]
    assert not Message.objects.exists()


def test_another_accounts_segment_is_422(api_client, other_account, sending_setup):
    theirs = segment_services.create_segment(account=other_account, data={"name": "Theirs"})
    res = api_client.post(CHANNEL_SEND, channel_body({"group_id": theirs.pk}), format="json")
    assert res.status_code == 422 and "recipient.group_id" in res.json()["errors"]


def test_an_empty_segment_is_422(api_client, account, sending_setup):
    empty = segment_services.create_segment(account=account, data={"name": "Nobody", "type": "static"})
    res = api_client.post(CHANNEL_SEND, channel_body({"group_id": empty.pk}), format="json")
    assert res.status_code == 422
    assert res.json()["errors"]["recipient.group_id"] == ["The selected segment has no subscribed mobile numbers."]


def test_unsubscribe_feeds_scrubbing_and_resubscribe_lifts_it(
    api_client,
    account,
    sending_setup,
    vips,
    django_capture_on_commit_callbacks,
):
    segment, contacts = vips
    target = contacts[0]
    # Through the API, as a customer would.
    res = api_client.post(f"/api/v2/contacts/{target.pk}/unsubscribe", format="json")
    assert res.status_code == 200 and res.json()["message"] == "Unsubscribed successfully"
    assert Unsubscriber.objects.filter(account=account, channel="sms", receiver="919876543210").exists()

    # A plain send to the number is refused by the scrubber ...
    body = {"sender": "ACMEIN", "service": "T", "message": "Your OTP is 4821. Do not share it.", "to": "919876543210"}
    with django_capture_on_commit_callbacks(execute=True):
        data = api_client.post("/api/v2/sms/send", body, format="json").json()["data"]
    assert data[0]["status"] == "OPTOUT-REJ"
    # ... and a segment send leaves the unsubscribed member out.
    assert sorted(segment_services.segment_recipients(account, [segment.pk])) == ["919876543211", "919876543212"]

    res = api_client.post(f"/api/v2/contacts/{target.pk}/resubscribe", format="json")
    assert res.status_code == 200 and res.json()["message"] == "Resubscribed successfully"
    assert not Unsubscriber.objects.filter(account=account, receiver="919876543210").exists()
    body["message"] = "Your OTP is 4822. Do not share it."  # a new text: the repetition rule stays out of it
    with django_capture_on_commit_callbacks(execute=True):
        data = api_client.post("/api/v2/sms/send", body, format="json").json()["data"]
    assert data[0]["status"] == "AWAITING-DLR"
    assert "919876543210" in set(segment_services.segment_recipients(account, [segment.pk]))


def test_segment_recipients_streams_distinct_numbers(account, django_assert_max_num_queries):
    for i in range(30):
        contact_services.create_contact(account=account, data={"identity": f"p{i}", "phone": f"9198765430{i:02d}"})
    segment = segment_services.create_segment(account=account, data={"name": "Everyone"})
    subscription_services.unsubscribe(contact=segment_services.segment_contacts(segment).first())
    with django_assert_max_num_queries(3):
        numbers = list(segment_services.segment_recipients(account, str(segment.pk)))
    assert len(numbers) == len(set(numbers)) == 29
