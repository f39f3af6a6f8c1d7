"""The Send SMS page, its live preview, and the sent-messages pages."""

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from messaging.pipeline.models import Batch, Message
from tests.factories import make_member

OTP = "Your OTP is 4821. Do not share it."


def test_the_preview_counts_parts_and_estimates_cost(user_client, sending_setup):
    res = user_client.post(
        "/sms/send/preview/",
        {"service": "T", "recipients": "919876543210, 12, 447400123456", "message": OTP, "type": "A"},
        HTTP_HX_REQUEST="true",
    )
    html = res.content.decode()
    assert "GSM-7" in html and "1 of 3" in html and "Invalid numbers" in html and "countries you can" in html
    assert "0.2500" in html
    html = user_client.post(
        "/sms/send/preview/", {"service": "T", "recipients": "919876543210", "message": "नमस्ते " * 12}
    ).content.decode()
    assert "Unicode" in html and "<strong>2</strong>" in html


def test_sending_from_the_page(user_client, account, sending_setup, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("numbers.csv", b"number\n919876543211\n")
    with django_capture_on_commit_callbacks(execute=True):
        res = user_client.post(
            "/sms/send/",
            {
                "service": "T",
                "sender": "ACMEIN",
                "recipients": "919876543210",
                "file": upload,
                "message": OTP,
                "type": "A",
                "name": "Launch",
            },
        )
    batch = Batch.objects.get(account=account)
    assert res.status_code == 302 and res["Location"] == f"/sms/batches/{batch.uuid}/"
    assert batch.accepted == 2 and batch.name == "Launch" and batch.source == "portal"
    html = user_client.get(res["Location"]).content.decode()
    assert "DELIVRD: 2" in html and "919876543211" in html
    assert "Launch" in user_client.get("/sms/batches/").content.decode()


def test_page_errors_are_shown(user_client, account, sending_setup):
    res = user_client.post(
        "/sms/send/", {"service": "T", "sender": "ACMEIN", "recipients": "", "message": OTP, "type": "A"}
    )
    assert res.status_code == 422 and "The to field is required." in res.content.decode()
    assert not Message.objects.filter(account=account).exists()


def test_analysts_see_reports_but_cannot_send(client, account, sending_setup):
    client.force_login(make_member(account, Role.ANALYST))
    assert client.get("/sms/send/").status_code == 403
    assert client.get("/sms/batches/").status_code == 200


def test_another_accounts_batch_is_404(user_client, other_account, sending_setup):
    from messaging.models import Product

    batch = Batch.objects.create(account=other_account, product=Product.objects.get(code="T"))
    assert user_client.get(f"/sms/batches/{batch.uuid}/").status_code == 404


def test_a_scheduled_send_can_be_cancelled_from_its_page(user_client, account, sending_setup):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import AuditEvent
    from accounts.services import credits
    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing

    at = timezone.now() + timedelta(hours=2)
    batch = services.submit(
        account=account,
        product_code="T",
        schedule=at,
        outgoing=[Outgoing(to="919876543210", sender="ACMEIN", message="Your OTP is 4821. Do not share it.")],
    ).batch
    page = user_client.get(f"/sms/batches/{batch.uuid}/")
    assert b"Cancel scheduled send" in page.content
    res = user_client.post(f"/sms/batches/{batch.uuid}/cancel/", follow=True)
    assert b"Scheduled send cancelled: 1 message," in res.content
    assert b"Cancel scheduled send" not in res.content
    assert credits.balance(account) == 100
    assert AuditEvent.objects.filter(account=account, action="sms.schedule_cancelled").exists()
    again = user_client.post(f"/sms/batches/{batch.uuid}/cancel/", follow=True)
    assert b"No scheduled send" in again.content or credits.balance(account) == 100


def test_cancelling_needs_post_and_stays_inside_the_account(user_client, other_account, sending_setup):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry

    review.approve(
        item=registry.create_sender(account=other_account, data={"name": "Other", "service": "G", "country_code": "GB"})
    )
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "2"})
    theirs = services.submit(
        account=other_account,
        product_code="G",
        schedule=timezone.now() + timedelta(hours=2),
        outgoing=[Outgoing(to="447400123456", sender="Other", message="Hello")],
    ).batch
    assert user_client.post(f"/sms/batches/{theirs.uuid}/cancel/").status_code == 404
    assert user_client.get(f"/sms/batches/{theirs.uuid}/cancel/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.messages.filter(status="SCHEDULED").count() == 1
