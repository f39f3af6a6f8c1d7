"""Tenant-isolation cases: WhatsApp (business numbers, templates, windows, inbox, status timeline)."""

import itertools

from django.utils import timezone

from messaging import consent
from messaging.channels.whatsapp.models import (
    BusinessNumber,
    InboundMessage,
    ServiceWindow,
    StatusRecord,
    TemplateStatus,
    WhatsappMedia,
    WhatsappTemplate,
)
from messaging.pipeline.models import Batch, Message
from messaging.suppressions.models import Unsubscriber
from tests.tenancy.registry import Case, Listing, Op, exempt, register

_seq = itertools.count(1)


def _number(account, marker):
    n = next(_seq)
    return BusinessNumber.objects.create(
        account=account,
        number=f"9190191{n:05d}",
        display_name=marker[:100],
        phone_number_id=f"pn-{n}-{marker}"[:40],
        waba_id=f"waba-{n}",
        api_base_url="http://127.0.0.1:9",
        access_token="t",
        app_secret="s",
        verify_token="v",
    )


def _template(account, marker):
    number = _number(account, "tpl")
    return WhatsappTemplate.objects.create(
        account=account, number=number, name=marker[:100], alias=marker[:100], type="template", category="utility",
        language="en", is_conversation=False, body=f"Hi {{{{name}}}} {marker}", payload={"body": marker},
        variables=["name"], status=TemplateStatus.APPROVED,
    )  # fmt: skip


def _inbound(account, marker):
    return InboundMessage.objects.create(
        account=account, number=_number(account, "in"), customer="919876543210", wamid=f"wamid.{marker}",
        type="text", payload={"text": marker}, text=marker, received_at=timezone.now(),
    )  # fmt: skip


def _window(account, marker):
    now = timezone.now()
    return ServiceWindow.objects.create(
        account=account, number=_number(account, marker), customer="919876543210", last_inbound_at=now, expires_at=now
    )


def _status(account, marker):
    return StatusRecord.objects.create(account=account, wamid=f"wamid.{marker}", status="sent", at=timezone.now())


register(
    Case(
        WhatsappTemplate,
        _template,
        marker=lambda t: t.name,
        ops=(
            Op("GET", "whatsapp:template_detail", {"pk": "uuid"}),
            Op("POST", "whatsapp:template_delete", {"pk": "uuid"}),
            Op("GET", "whatsapp-template", {"pk": "uuid"}, api=True),
            Op("DELETE", "whatsapp-template", {"pk": "uuid"}, api=True),
        ),
        listings=(Listing("whatsapp:template_list"), Listing("whatsapp-templates", api=True)),
    )
)
register(Case(BusinessNumber, _number, marker=lambda n: n.display_name, listings=(Listing("whatsapp:number_list"),)))
register(
    Case(
        InboundMessage,
        _inbound,
        marker=lambda m: m.text,
        ops=(
            Op("GET", "whatsapp:conversation", {"number_id": "number_id", "customer": "customer"}),
            Op("POST", "whatsapp:reply", {"number_id": "number_id", "customer": "customer"}, {"text": "Hi"}),
            Op("GET", "whatsapp:reply_values", {"number_id": "number_id", "customer": "customer"}),
        ),
        listings=(Listing("whatsapp:inbox"),),
    )
)


def _message(account, marker):
    from messaging.models import Product

    batch = Batch.objects.create(account=account, product=Product.objects.get(code="WAP"), channel="whatsapp")
    return Message.objects.create(
        batch=batch, account=account, index=1, mobile="919876543210", sender="919019100001", product_code="WAP",
        channel="whatsapp", text=marker, encoding="wa", length=len(marker), units=1, status="queued",
    )  # fmt: skip


register(
    Case(
        Message,
        _message,
        name="whatsapp message",
        marker=lambda m: m.text,
        ops=(Op("GET", "whatsapp:message_detail", {"pk": "batch.uuid", "index": "index"}),),
        listings=(Listing("whatsapp:message_list"),),
    )
)


def _wa_unsubscriber(account, marker):
    n = next(_seq)
    return consent.opt_out(account=account, channel="whatsapp", receiver=f"91987650{n:04d}")


register(
    Case(
        Unsubscriber,
        _wa_unsubscriber,
        name="whatsapp unsubscriber",
        marker=lambda u: u.receiver,
        ops=(
            Op("GET", "whatsapp-unsubscriber", {"pk": "uuid"}, api=True),
            Op("PUT", "whatsapp-unsubscriber", {"pk": "uuid"}, {"receiver": "919876500998"}, api=True),
            Op("DELETE", "whatsapp-unsubscriber", {"pk": "uuid"}, api=True),
            # The opt-out list is addressed by number: another account's number is not on this one's.
            Op("DELETE", "whatsapp-optout-number", {"number": "receiver"}, api=True),
        ),
        listings=(Listing("whatsapp-unsubscribers", api=True),),
    )
)
exempt(ServiceWindow._meta.label, "shown only as a conversation's window badge (the InboundMessage case)")
exempt(StatusRecord._meta.label, "shown only in its message's timeline (the whatsapp message case)")


def _media(account, marker):
    return WhatsappMedia.objects.create(
        account=account, kind="image", filename=f"{marker}.png"[:200], content_type="image/png", size=10,
        file=f"whatsapp/{marker}.png"[:300],
    )  # fmt: skip


register(
    Case(
        WhatsappMedia,
        _media,
        marker=lambda m: m.filename,
        ops=(
            Op("POST", "whatsapp:media_delete", {"pk": "uuid"}),
            Op("GET", "whatsapp-media", {"pk": "uuid"}, api=True),
            Op("DELETE", "whatsapp-media", {"pk": "uuid"}, api=True),
        ),
        listings=(Listing("whatsapp:media"), Listing("whatsapp-media-list", api=True)),
    )
)
