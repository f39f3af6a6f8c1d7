"""Step four: the WhatsApp pages (numbers, composer with the pipeline's quote, inbox and reply,
messages and the status timeline); the template builder is tests/messaging/whatsapp/test_template_builder.py."""

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.channels.whatsapp import window
from messaging.channels.whatsapp.models import InboundMessage, StatusRecord
from messaging.pipeline.models import Message
from tests.messaging.whatsapp.conftest import BUSINESS, CUSTOMER, OTHER_CUSTOMER

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_numbers_page(user_client, business_number):
    res = user_client.get(reverse("whatsapp:number_list"))
    assert res.status_code == 200 and "Acme Support" in res.content.decode() and "80 msg/s" in res.content.decode()


def test_compose_preview_counts_the_window(user_client, open_window):
    data = {"sender": BUSINESS, "message_type": "text", "text": "Hello", "recipients": f"{CUSTOMER}, {OTHER_CUSTOMER}"}
    html = user_client.post(reverse("whatsapp:compose_preview"), data, **HTMX).content.decode()
    assert "1 of 2 to send" in html and "Outside the window" in html and "0.1000" in html


def test_compose_sends_through_the_pipeline(user_client, open_window):
    data = {"sender": BUSINESS, "message_type": "text", "text": "Hello from the page", "recipients": CUSTOMER}
    res = user_client.post(reverse("whatsapp:compose"), data)
    assert res.status_code == 302
    message = Message.objects.get()
    assert message.text == "Hello from the page" and message.status == "queued"
    listed = user_client.get(res["Location"]).content.decode()
    assert "Hello from the page" in listed
    detail = user_client.get(
        reverse("whatsapp:message_detail", args=[message.batch.uuid, message.index])
    ).content.decode()
    assert "Status timeline" in detail


def test_compose_refuses_bad_content_on_the_field(user_client, open_window):
    res = user_client.post(reverse("whatsapp:compose"), {"sender": BUSINESS, "message_type": "image", "media_url": "ftp://x",
                                                         "recipients": CUSTOMER})  # fmt: skip
    assert res.status_code == 422 and "valid http(s) URL" in res.content.decode() and not Message.objects.exists()


def test_inbox_conversation_and_reply(user_client, business_number):
    now = timezone.now()
    InboundMessage.objects.create(
        account=business_number.account, number=business_number, customer=CUSTOMER, profile_name="Asha",
        wamid="wamid.1", type="text", payload={"text": "Where is my order?"}, text="Where is my order?",
        received_at=now,
    )  # fmt: skip
    window.refresh(business_number, CUSTOMER, now)
    html = user_client.get(reverse("whatsapp:inbox")).content.decode()
    assert "Where is my order?" in html and "Open ·" in html and "23 h 59 min left" in html
    assert "Asha" in user_client.get(reverse("whatsapp:inbox") + "?q=order", **HTMX).content.decode()
    url = reverse("whatsapp:conversation", args=[business_number.pk, CUSTOMER])
    assert "Where is my order?" in user_client.get(url).content.decode()
    res = user_client.post(reverse("whatsapp:reply", args=[business_number.pk, CUSTOMER]),
                           {"message_type": "text", "text": "On its way!"}, **HTMX)  # fmt: skip
    assert res.status_code == 200 and "On its way!" in res.content.decode()
    assert Message.objects.get().mobile == CUSTOMER


def test_a_reply_outside_the_window_says_why(user_client, business_number):
    res = user_client.post(reverse("whatsapp:reply", args=[business_number.pk, CUSTOMER]),
                           {"message_type": "text", "text": "Late"}, **HTMX)  # fmt: skip
    assert res.status_code == 422 and "Re-engagement needed" in res.content.decode()


def test_message_detail_shows_the_explained_error_and_timeline(user_client, open_window):
    user_client.post(
        reverse("whatsapp:compose"), {"sender": BUSINESS, "message_type": "text", "text": "Hi", "recipients": CUSTOMER}
    )
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(supplier_message_id="wamid.X", status="failed", status_code="131026")
    StatusRecord.objects.create(account=message.account, wamid="wamid.X", status="sent", at=timezone.now())
    StatusRecord.objects.create(
        account=message.account, wamid="wamid.X", status="failed", code="131026", at=timezone.now()
    )
    html = user_client.get(
        reverse("whatsapp:message_detail", args=[message.batch.uuid, message.index])
    ).content.decode()
    assert "not on WhatsApp" in html and "failed (131026)" in html


def test_staff_onboard_and_raise_throughput(client, account, db):
    from accounts.models import User
    from messaging.channels.whatsapp.models import BusinessNumber

    staff = User.objects.create_superuser(email="ops@example.com", password="x-pass-12345", name="Ops")
    client.force_login(staff)
    data = {"account": account.username, "number": "+91 90191 20000", "display_name": "Acme", "quality": "GREEN",
            "tier": "TIER_1K", "throughput": 80, "api_base_url": "http://127.0.0.1:9", "is_active": "on"}  # fmt: skip
    assert client.post(reverse("whatsapp_staff:number_admin"), data).status_code == 302
    number = BusinessNumber.objects.get()
    assert number.account == account and number.number == BUSINESS and number.throughput == 80
    edit = {**data, "throughput": 1001}
    res = client.post(reverse("whatsapp_staff:number_edit", args=[number.pk]), edit)
    assert res.status_code == 422
    assert (
        client.post(reverse("whatsapp_staff:number_edit", args=[number.pk]), {**data, "throughput": 1000}).status_code
        == 302
    )
    number.refresh_from_db()
    assert number.throughput == 1000
    assert client.post(reverse("whatsapp_staff:number_admin"), {**data, "account": "nobody"}).status_code == 422
