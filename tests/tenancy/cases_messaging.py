"""Tenant-isolation cases: messaging (senders, templates, suppressions, sending, webhooks)."""

import itertools

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from messaging import events as event_names
from messaging.models import Product
from messaging.pipeline.models import Batch, Message, RefusedNumbers, State
from messaging.review import services as review
from messaging.senders import services as senders
from messaging.senders.models import Sender, Template
from messaging.suppressions import services as suppressions
from messaging.suppressions.models import BlockedTemplate, ImportJob, ImportKind, Unsubscriber
from messaging.webhooks import services as webhooks
from messaging.webhooks.models import Delivery, DeliveryStatus, Subscription, Webhook
from portal.core import events
from tests.tenancy.registry import Case, Listing, Op, exempt, register

_numbers = itertools.count(1)


def _number():
    return f"9198765{next(_numbers) % 100000:05d}"


def _sender(account, marker):
    document = SimpleUploadedFile("loa.pdf", b"%PDF-1.4 letter of authorisation", content_type="application/pdf")
    data = {"name": marker[:11], "country_code": "GB", "service": "G", "document": document}
    return senders.create_sender(account=account, data=data)


SENDER_FORM = {"name": "Renamed", "service": "G", "country_code": "GB"}

register(
    Case(
        Sender,
        _sender,
        marker=lambda sender: sender.name,
        ops=(
            Op("GET", "senders:sender_edit", {"pk": "uuid"}),
            Op("POST", "senders:sender_edit", {"pk": "uuid"}, SENDER_FORM),
            Op("POST", "senders:sender_delete", {"pk": "uuid"}),
            Op("GET", "senders:sender_document", {"pk": "uuid"}),
            Op("GET", "sms-sender", {"pk": "uuid"}, api=True),
            Op("PUT", "sms-sender", {"pk": "uuid"}, SENDER_FORM, api=True),
            Op("DELETE", "sms-sender", {"pk": "uuid"}, api=True),
        ),
        listings=(
            Listing("senders:sender_list"),
            Listing("senders:sender_export"),
            Listing("sms-senders", api=True),
        ),
    )
)


def _template(account, marker):
    sender = _sender(account, "Acme")
    review.approve(item=sender)
    data = {"sender": str(sender.uuid), "name": marker, "type": "T", "body": "Order {{id}} has shipped today"}
    return senders.create_template(account=account, data=data)


def _template_form(template, account):
    return {"sender": str(template.sender.uuid), "name": "Renamed", "type": "T", "body": "Order {{id}} left"}


register(
    Case(
        Template,
        _template,
        ops=(
            Op("GET", "senders:template_edit", {"pk": "uuid"}),
            Op("POST", "senders:template_edit", {"pk": "uuid"}, _template_form),
            Op("POST", "senders:template_delete", {"pk": "uuid"}),
            Op("GET", "sms-template", {"pk": "uuid"}, api=True),
            Op("PUT", "sms-template", {"pk": "uuid"}, _template_form, api=True),
            Op("DELETE", "sms-template", {"pk": "uuid"}, api=True),
            # Sending with another account's template id finds no template (a 422).
            Op(
                "POST",
                "sms-send-template",
                data=lambda t, account: {"id": str(t.uuid), "data": {"id": "1"}, "recipient": {"to": ["447700900001"]}},
                api=True,
                lookup="filter",
            ),
        ),
        listings=(
            Listing("senders:template_list"),
            Listing("senders:template_export"),
            Listing("sms-templates", api=True),
        ),
    )
)


register(
    Case(
        Unsubscriber,
        lambda account, marker: suppressions.add_unsubscriber(account=account, data={"receiver": _number()}),
        marker=lambda unsub: unsub.receiver,
        ops=(
            Op("GET", "suppressions:unsubscriber_edit", {"pk": "uuid"}),
            Op("POST", "suppressions:unsubscriber_edit", {"pk": "uuid"}, {"receiver": "919876500999", "type": "all"}),
            Op("POST", "suppressions:unsubscriber_delete", {"pk": "uuid"}),
            Op("GET", "sms-unsubscriber", {"pk": "uuid"}, api=True),
            Op("PUT", "sms-unsubscriber", {"pk": "uuid"}, {"receiver": "919876500999"}, api=True),
            Op("DELETE", "sms-unsubscriber", {"pk": "uuid"}, api=True),
            # Cleaning the list empties the requester's list only.
            Op("POST", "suppressions:unsubscriber_clean", lookup="filter", changes=True),
            Op("DELETE", "sms-unsubscribers", api=True, lookup="filter", changes=True),
        ),
        listings=(
            Listing("suppressions:unsubscriber_list"),
            Listing("suppressions:unsubscriber_export"),
            Listing("sms-unsubscribers", api=True),
        ),
    )
)


def _blocked(account, marker):
    template_id = f"11071{next(_numbers):014d}"
    return suppressions.add_blocked_template(account=account, data={"template_id": template_id})


register(
    Case(
        BlockedTemplate,
        _blocked,
        marker=lambda block: block.template_id,
        ops=(
            Op("POST", "suppressions:blocked_toggle", {"pk": "uuid"}),
            Op("POST", "suppressions:blocked_delete", {"pk": "uuid"}),
            Op("GET", "sms-blocked-template", {"pk": "uuid"}, api=True),
            Op("PUT", "sms-blocked-template", {"pk": "uuid"}, {"template_id": "1107000000000000001"}, api=True),
            Op("DELETE", "sms-blocked-template", {"pk": "uuid"}, api=True),
            Op("POST", "suppressions:blocked_clean", lookup="filter", changes=True),
            Op("DELETE", "sms-blocked-templates", api=True, lookup="filter", changes=True),
        ),
        listings=(
            Listing("suppressions:blocked_list"),
            Listing("suppressions:blocked_export"),
            Listing("sms-blocked-templates", api=True),
        ),
    )
)


def _suppression_import(account, marker):
    job = ImportJob(account=account, kind=ImportKind.BLOCKED_TEMPLATES, filename=f"{marker}.csv")
    job.file.save("upload.csv", ContentFile(b"template_id\n111\n"), save=False)
    job.report.save("report.csv", ContentFile(b"row,value,reason\n"), save=False)
    job.save()
    return job


register(
    Case(
        ImportJob,
        _suppression_import,
        marker=lambda job: job.filename,
        ops=(
            Op("GET", "suppressions:import_status", {"pk": "uuid"}),
            Op("GET", "suppressions:import_report", {"pk": "uuid"}),
            Op("GET", "sms-suppression-import", {"pk": "uuid"}, api=True),
        ),
        # The blocked-templates page shows the account's recent imports of blocked templates.
        listings=(Listing("suppressions:blocked_list"),),
    )
)


def _batch(account, marker):
    return Batch.objects.create(account=account, name=marker, source="portal", product=Product.objects.get(code="G"))


register(
    Case(
        Batch,
        _batch,
        ops=(
            Op("GET", "sending:batch_detail", {"pk": "uuid"}),
            Op("POST", "sending:batch_cancel", {"pk": "uuid"}),
            Op("GET", "reports:campaign", {"pk": "uuid"}),
        ),
        listings=(Listing("sending:batch_list"),),
    )
)


def _message(account, marker):
    batch = _batch(account, "batch")
    Batch.objects.filter(pk=batch.pk).update(total=1)  # a batch's positions are 1..total
    batch.total = 1
    return Message.objects.create(
        batch=batch,
        account=account,
        index=1,
        mobile=_number(),
        sender="Acme",
        product_code="G",
        text="Hello",
        encoding="GSM",
        length=5,
        units=1,
        custom=marker,
        state=State.SCHEDULED,
    )


register(
    Case(
        Message,
        _message,
        ops=(
            Op("GET", "sending:batch_detail", {"pk": "batch.uuid"}),
            Op("GET", "reports:message", {"pk": "batch.uuid", "index": "index"}),
        ),
        listings=(
            Listing("sms-status", query=lambda m, account: {"id": f"{m.batch.uuid}:1"}, api=True),
            Listing("sms-status", query=lambda m, account: {"mobile": m.mobile}, api=True),
            Listing("sms-status", query=lambda m, account: {"cid": m.custom}, api=True),
            Listing("sms-status", query=lambda m, account: {"group_id": str(m.batch.uuid)}, api=True),
            Listing("reports:delivery"),  # today's messages
        ),
    )
)


def _refused_numbers(account, marker):
    """A recipient refused before pricing (no message row): what a send to an unpriced
    destination keeps of it."""
    batch = _batch(account, "batch")
    Batch.objects.filter(pk=batch.pk).update(total=1)
    return RefusedNumbers.objects.create(
        batch=batch,
        account=account,
        status="NOTALLOWED",
        sender="Acme",
        product_code="G",
        units=1,
        length=5,
        submitted_at=batch.created_at,
        first_index=1,
        last_index=1,
        count=1,
        indexes=[1],
        mobiles=[_number()],
        customs=[marker],
    )


register(
    Case(
        RefusedNumbers,
        _refused_numbers,
        ops=(Op("GET", "sending:batch_detail", {"pk": "batch.uuid"}),),
        listings=(
            Listing("sms-status", query=lambda r, account: {"id": f"{r.batch.uuid}:1"}, api=True),
            Listing("sms-status", query=lambda r, account: {"mobile": r.mobiles[0]}, api=True),
            Listing("sms-status", query=lambda r, account: {"cid": r.customs[0]}, api=True),
            Listing("sms-status", query=lambda r, account: {"group_id": str(r.batch.uuid)}, api=True),
            Listing("sms-status", query=lambda r, account: {"date": r.submitted_at.date().isoformat()}, api=True),
        ),
    )
)


def _webhook(account, marker):
    return webhooks.create_webhook(account=account, data={"name": marker, "uri": "https://hooks.example.com/in"})


WEBHOOK_FORM = {
    "name": "Renamed",
    "uri": "https://hooks.example.com/in",
    "status": "1",
    "kind": "standard",
    "method": "POST",
    "body_format": "raw",
}

register(
    Case(
        Webhook,
        _webhook,
        ops=(
            Op("GET", "webhooks:webhook_edit", {"pk": "uuid"}),
            Op("POST", "webhooks:webhook_edit", {"pk": "uuid"}, WEBHOOK_FORM),
            Op("POST", "webhooks:webhook_toggle", {"pk": "uuid"}),
            Op("POST", "webhooks:webhook_test", {"pk": "uuid"}, {"event": event_names.SMS_MESSAGE_STATUS}),
            # No token: the page answers without calling the URL.
            Op("POST", "webhooks:webhook_verify", {"pk": "uuid"}),
            Op("GET", "developer-webhook", {"pk": "uuid"}, api=True),
            Op(
                "PUT", "developer-webhook", {"pk": "uuid"}, {"name": "x", "uri": "https://hooks.example.com/"}, api=True
            ),
            Op("DELETE", "developer-webhook", {"pk": "uuid"}, api=True),
            Op("POST", "developer-webhook-test", {"pk": "uuid"}, api=True),
            # Subscribing another account's webhook: no such webhook (a 422).
            Op(
                "POST",
                "developer-subscriptions",
                data=lambda w, account: {"event": event_names.SMS_MESSAGE_STATUS, "webhook_id": str(w.uuid)},
                api=True,
                lookup="filter",
            ),
        ),
        listings=(Listing("webhooks:webhook_list"), Listing("developer-webhooks", api=True)),
    )
)


def _subscription(account, marker):
    webhook = _webhook(account, marker)
    data = {"event": event_names.SMS_MESSAGE_STATUS, "identity": f"keyword:{marker}", "webhook_id": str(webhook.uuid)}
    return webhooks.create_subscription(account=account, data=data)


register(
    Case(
        Subscription,
        _subscription,
        name="webhooks.Subscription",
        marker=lambda s: s.identity,
        ops=(
            Op("POST", "webhooks:subscription_delete", {"pk": "pk"}),
            Op("GET", "developer-subscription", {"pk": "pk"}, api=True),
            Op("DELETE", "developer-subscription", {"pk": "pk"}, api=True),
        ),
        listings=(Listing("webhooks:subscription_list"), Listing("developer-subscriptions", api=True)),
    )
)


def _delivery(account, marker):
    webhook = _webhook(account, marker)
    event = events.emit(account=account, type=event_names.SMS_MESSAGE_STATUS, payload={"id": "g:1"})
    return Delivery.objects.create(
        account=account,
        event=event,
        event_type=event.type,
        webhook=webhook,
        url=webhook.uri,
        endpoint="hooks.example.com",
        status=DeliveryStatus.FAILED,
        attempts=3,
        next_attempt_at=timezone.now(),
    )


register(
    Case(
        Delivery,
        _delivery,
        marker=lambda d: str(d.uuid),
        ops=(
            Op("GET", "webhooks:delivery_detail", {"pk": "uuid"}),
            Op(
                "POST",
                "webhooks:delivery_replay",
                data=lambda d, account: {"ids": [str(d.uuid)]},
                lookup="filter",
                changes=True,
            ),
            Op("POST", "webhooks:delivery_replay", data={"all": "1"}, lookup="filter", changes=True),
        ),
        listings=(Listing("webhooks:delivery_list"),),
    )
)

exempt("webhooks.Attempt", "shown only inside its delivery's page (the Delivery case: another account's is a 404)")
exempt("events.Event", "the outbox: customers see events only as webhook deliveries (the Delivery case)")
exempt("messaging.AccountProduct", "an account's enabled products, read for request.account only; no id in any URL")
exempt("links.Link", "tiny short links are public by design: /s/<code> redirects anyone; no page or API lists them")
exempt("links.Visit", "a short link's visit log; no page or API shows it")
exempt(
    "sms_channel.TestNumber",
    "a member's own test number, read for request.account and request.user only; no id in any URL",
)
