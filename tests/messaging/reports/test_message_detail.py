"""Message search and detail: the status table (meaning, billing, fix) shared by pages, exports and
docs; the detail page (timeline, explanation, webhook deliveries) and its tenant isolation; the
campaign page's content, export, cancel and refund."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.channels.sms import sending
from messaging.pipeline.models import Message
from messaging.reports import campaigns, message_detail, statuses
from messaging.webhooks.models import Delivery, DeliveryStatus, Webhook
from portal.core.events.models import Event
from tests.messaging.reports.pipeline_steps import dispatch, earlier_today, send

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[3] / "docs" / "status-codes.md"


@pytest.fixture
def sent(account, sending_setup):
    """Six UK messages an hour ago; every third refused by the supplier (refunded); the first
    delivered, the second undelivered."""
    when = earlier_today(account, timedelta(hours=1))
    batch = send(account, when, 6, uk=True)
    dispatch(batch, when, refuse=True)
    rows = list(Message.objects.filter(batch=batch).order_by("index"))
    sending.apply_dlrs(
        supplier="simulator", receipts=[(rows[0].supplier_message_id, "DELIVRD", "000")], delivered_at=when
    )
    sending.apply_dlrs(
        supplier="simulator", receipts=[(rows[1].supplier_message_id, "UNDELIV", "034")], delivered_at=when
    )
    return batch


def test_the_table_says_meaning_billing_and_fix():
    delivered = statuses.describe("DELIVRD", "000")
    assert (delivered.meaning, delivered.billing, delivered.billed) == ("Delivered to SIM.", "charged", True)
    assert statuses.describe("REJECTED", "458").billing == statuses.REFUNDED
    assert statuses.describe("DELETED").billing == statuses.REFUNDED
    assert statuses.describe("INV-NUMBER", "404").billing == statuses.NOT_CHARGED
    assert statuses.describe("UNDELIV", "034").billing == statuses.CHARGED  # failed receipts are not refunded
    assert "opted out" in statuses.describe("OPTOUT-REJ", "456").meaning
    assert statuses.describe("WHATEVER").fix == statuses.UNKNOWN_FIX
    # Every catalogued status has its own advice.
    assert all(row.fix != statuses.UNKNOWN_FIX for row in statuses.table())


def test_the_docs_hold_the_table():
    assert DOCS.read_text() == statuses.markdown(), "regenerate docs/status-codes.md from statuses.markdown()"


def test_public_ids_parse():
    group = "0d6f1d7e-6c7b-4b57-9d6e-1f6b0f1d2c3a"
    assert message_detail.parse_public_id(f"{group}:12") == (group, 12)
    assert message_detail.parse_public_id("nope:1") is None
    assert message_detail.parse_public_id(f"{group}:x") is None
    assert message_detail.parse_public_id("") is None


def test_detail_page_shows_timeline_explanation_and_webhook_deliveries(user_client, account, sent):
    first = Message.objects.get(batch=sent, index=1)
    event = Event.objects.get(account=account, payload__id=first.public_id)
    hook = Webhook.objects.create(account=account, name="CRM", uri="https://crm.example.com/hook")
    Delivery.objects.create(
        account=account,
        event=event,
        event_type=event.type,
        webhook=hook,
        url=hook.uri,
        endpoint="https://crm.example.com:443",
        status=DeliveryStatus.DELIVERED,
        attempts=1,
        last_status_code=200,
        next_attempt_at=timezone.now(),
    )
    res = user_client.get(reverse("reports:message", args=[sent.uuid, 1]))
    assert res.status_code == 200
    d = res.context["d"]
    titles = [s.title for s in d.timeline]
    assert titles[0] == "Accepted" and "Reported DELIVRD" in titles
    assert any(t.startswith("Handed to the supplier") for t in titles)
    assert [s.at for s in d.timeline] == sorted(s.at for s in d.timeline)
    assert [w.webhook_id for w in d.deliveries] == [hook.pk]
    body = res.content.decode()
    for words in ("Delivered to SIM.", "Billed: charged when accepted.", "Nothing: the handset received it.", "CRM"):
        assert words in body
    assert "Hello there" in body and "AcmeUK" in body
    assert "<code>000</code>" in body  # the supplier's raw code


def test_detail_of_failed_and_refunded_messages(user_client, sent):
    undelivered = user_client.get(reverse("reports:message", args=[sent.uuid, 2]))
    assert "Billed: charged when accepted." in undelivered.content.decode()
    assert "<code>034</code>" in undelivered.content.decode()
    refused = user_client.get(reverse("reports:message", args=[sent.uuid, 3])).context["d"]
    assert refused.message.status == "REJECTED" and refused.refunded
    assert refused.timeline[-1].title.endswith("REJECTED")
    assert "then refunded" in user_client.get(reverse("reports:message", args=[sent.uuid, 3])).content.decode()
    waiting = user_client.get(reverse("reports:message", args=[sent.uuid, 4])).context["d"]
    assert waiting.deliveries == [] and waiting.message.status == "AWAITING-DLR"


def test_another_accounts_message_is_a_404(client, other_account, sent):
    from accounts.models import Membership, Role, User

    stranger = User.objects.create_user(email="stranger@example.com", password="x-long-password-1")
    Membership.objects.create(user=stranger, account=other_account, role=Role.OWNER)
    client.force_login(stranger)
    assert client.get(reverse("reports:message", args=[sent.uuid, 1])).status_code == 404
    assert message_detail.find(other_account, sent.uuid, 1) is None
    assert client.get(reverse("reports:message", args=[sent.uuid, 999])).status_code == 404


def test_search_by_message_id_redirects_and_rows_link_to_the_detail(user_client, sent):
    url = reverse("reports:delivery")
    res = user_client.get(url, {"id": f"{sent.uuid}:2"})
    assert res.status_code == 302 and res.url == reverse("reports:message", args=[sent.uuid, 2])
    listing = user_client.get(url, {"campaign": str(sent.uuid)}).content.decode()
    assert reverse("reports:message", args=[sent.uuid, 1]) in listing
    # The channel and number filters narrow the search.
    assert user_client.get(url, {"channel": "whatsapp"}).context["page"].rows == []
    assert len(user_client.get(url, {"mobile": "+44 7400 100001"}).context["page"].rows) == 1


def test_status_codes_page_lists_the_table_with_one_anchor_per_status(user_client):
    res = user_client.get(reverse("reports:status_codes"))
    body = res.content.decode()
    assert res.status_code == 200
    assert body.count('id="INVALID-SUB"') == 1
    assert "number in DND register" in body.lower() or "Number in DND register." in body


def test_campaign_page_shows_content_export_and_refunds(user_client, account, sent):
    res = user_client.get(reverse("reports:campaign", args=[sent.uuid]))
    body = res.content.decode()
    assert "Hello there" in body and "AcmeUK" in body
    assert reverse("reports:export_create") in body
    assert res.context["cancellable"] is False
    assert res.context["follow_ups"] and f"?retry={sent.uuid}&amp;who=" in body  # the composer's follow-ups
    charged, refunded, net = campaigns.money(sent)
    assert refunded > 0 and net == charged - refunded


def test_a_cancelled_schedule_shows_its_refund_not_its_charges(user_client, account, sending_setup):
    when = timezone.now()
    batch = send(account, when, 3, uk=False, schedule=when + timedelta(hours=2))
    page = user_client.get(reverse("reports:campaign", args=[batch.uuid]))
    assert page.context["cancellable"] is True
    assert reverse("sending:batch_cancel", args=[batch.uuid]) in page.content.decode()
    assert user_client.post(reverse("sending:batch_cancel", args=[batch.uuid])).status_code == 302
    charged, refunded, net = campaigns.money(batch)
    assert charged > 0 and refunded == charged and net == 0
    report = user_client.get(reverse("reports:campaign", args=[batch.uuid])).content.decode()
    assert "Refunded" in report and "Net spend" in report and ">Charged<" not in report
    detail = user_client.get(reverse("sending:batch_detail", args=[batch.uuid]))
    assert detail.context["refunded"] == charged
    assert ">Cost<" not in detail.content.decode()
    deleted = user_client.get(reverse("reports:message", args=[batch.uuid, 1])).context["d"]
    assert deleted.message.status == "DELETED" and deleted.refunded
