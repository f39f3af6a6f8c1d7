"""The Send SMS page with segments as recipients (their members' mobile numbers, minus opt-outs)."""

import pytest

from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from messaging.pipeline.models import Batch, Message
from messaging.pricing.services import save_price
from messaging.review import services as review
from messaging.senders import services as registry

pytestmark = pytest.mark.django_db
OTP = "Your OTP is 4821. Do not share it."


@pytest.fixture
def setup(account, settings):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.25"})
    data = {"name": "ACMEIN", "service": "T", "country_code": "IN", "entity_id": "1101234567890", "entity_name": "Acme"}
    review.approve(item=registry.create_sender(account=account, data=data))
    template = {
        "sender": "ACMEIN",
        "name": "OTP",
        "type": "T",
        "template_id": "1107161521283358301",
        "body": "Your OTP is {#var#}. Do not share it.",
    }
    review.approve(item=registry.create_template(account=account, data=template))
    make = contact_services.create_contact
    people = [
        make(account=account, data={"identity": "a", "phone": "+919876543210", "tags": ["vip"]}),
        make(account=account, data={"identity": "b", "phone": "+919876543211", "tags": ["vip"]}),
        make(account=account, data={"identity": "c", "phone": "+919876543212", "tags": ["vip"]}),
        make(account=account, data={"identity": "d", "phone": "+919876543213"}),
    ]
    subscription_services.unsubscribe(contact=people[2])
    return segment_services.create_segment(account=account, data={"name": "VIPs", "positive_tags": ["vip"]})


def test_the_page_offers_the_accounts_segments(user_client, setup, other_account):
    segment_services.create_segment(account=other_account, data={"name": "Theirs"})
    html = user_client.get("/sms/send/", {"segment": setup.pk}).content.decode()
    assert "VIPs (3 contacts)" in html and "Theirs" not in html
    assert f'value="{setup.pk}"' in html and "checked" in html.split(f'value="{setup.pk}"')[1].split(">")[0]


def test_the_preview_counts_segment_members(user_client, setup):
    res = user_client.post(
        "/sms/send/preview/",
        {"service": "T", "recipients": "919876543213", "segments": [setup.pk], "message": OTP, "type": "A"},
        HTTP_HX_REQUEST="true",
    )
    html = res.content.decode()
    assert "3 of 3" in html and "0.7500" in html


def test_sending_to_a_segment(user_client, account, setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        res = user_client.post(
            "/sms/send/",
            {"service": "T", "sender": "ACMEIN", "segments": [setup.pk], "message": OTP, "type": "A", "name": "VIP"},
        )
    batch = Batch.objects.get(account=account)
    assert res.status_code == 302 and res["Location"] == f"/sms/batches/{batch.uuid}/"
    mobiles = sorted(Message.objects.filter(batch=batch).values_list("mobile", flat=True))
    assert mobiles == ["919876543210", "919876543211"]  # the unsubscribed member is left out


def test_another_accounts_segment_is_refused(user_client, account, setup, other_account):
    theirs = segment_services.create_segment(account=other_account, data={"name": "Theirs"})
    res = user_client.post(
        "/sms/send/",
        {"service": "T", "sender": "ACMEIN", "segments": [theirs.pk], "message": OTP, "type": "A"},
    )
    assert res.status_code == 422 and "Select a valid choice" in res.content.decode()
    assert not Batch.objects.filter(account=account).exists()
