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
    WhatsappTemplate,
)
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
            Op("GET", "whatsapp-template", {"pk": "uuid"}, api=True),
            Op("DELETE", "whatsapp-template", {"pk": "uuid"}, api=True),
        ),
        listings=(Listing("whatsapp-templates", api=True),),
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
# Cases gain their operations and listings with the pages that address them.
for model in (BusinessNumber, InboundMessage, ServiceWindow, StatusRecord):
    exempt(model._meta.label, "no page or API addresses it yet")
