"""Staff review: decisions audited, customers notified, events emitted; the review command."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent, User
from accounts.notifications.models import Notification
from messaging.review import services as review
from messaging.senders.models import ReviewStatus
from portal.core.errors import DomainError
from portal.core.events.models import Event


def test_approval_is_audited_notified_and_emitted(sender, account, owner, django_capture_on_commit_callbacks):
    staff = User.objects.create_user(email="rev@example.com", password="x", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(item=sender, actor=staff)
    sender.refresh_from_db()
    assert sender.status == ReviewStatus.APPROVED and sender.reviewed_by == staff and sender.reviewed_at
    event = AuditEvent.objects.get(account=account, action="sender.approved")
    assert event.actor == staff and event.metadata["previous_status"] == "Pending"
    assert Notification.objects.get(account=account).title == "Your sender ID ACMEIN was approved"
    assert mail.outbox[0].to == [owner.email]
    emitted = Event.objects.get(account=account, type="portal:sender:reviewed")
    assert emitted.payload["decision"] == "approved" and emitted.payload["id"] == str(sender.uuid)


def test_rejection_needs_a_reason_the_customer_sees(template, account):
    with pytest.raises(DomainError):
        review.reject(item=template, reason="  ")
    review.reject(item=template, reason="Variable names unclear")
    template.refresh_from_db()
    assert template.status == ReviewStatus.REJECTED and template.review_message == "Variable names unclear"
    assert AuditEvent.objects.get(action="template.rejected").metadata["reason"] == "Variable names unclear"


def test_bulk_decisions_are_all_or_nothing(account, sender, template):
    with pytest.raises(DomainError):
        review.bulk_decide(items=[sender, template], approve=False, reason="")
    review.bulk_decide(items=[template], approve=True)
    template.refresh_from_db()
    assert template.status == ReviewStatus.APPROVED


def test_the_queue_is_oldest_first_across_customers(sender, other_sender, template):
    rows = review.pending_queue()  # `sender` was approved so that `template` could use it
    assert [r["item"] for r in rows] == [other_sender, template]
    assert all(not r["overdue"] for r in rows)
    assert {r["kind"] for r in rows} == {"sender", "template"}
    assert [r["item"] for r in review.pending_queue(kind="template")] == [template]
    assert [r["item"] for r in review.pending_queue(product="G")] == [other_sender]


def test_the_review_command(sender, template):
    out = StringIO()
    call_command("review", "sender", str(template.sender.uuid), "--reject", "Bad document", stdout=out)
    assert "Rejected" in out.getvalue()
    call_command("review", "template", str(template.uuid), "--approve", stdout=out)
    template.refresh_from_db()
    assert template.status == ReviewStatus.APPROVED
    with pytest.raises(CommandError):
        call_command("review", "sender", "00000000-0000-0000-0000-000000000000", "--approve")
    with pytest.raises(CommandError):
        call_command("review", "sender", str(sender.uuid), "--approve", "--staff", "nobody@example.com")
