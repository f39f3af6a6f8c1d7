"""Step one of WhatsApp: content validation per message.type, the template limits, and the scrub
rules (window, business number, approval, marketing opt-out, category prices) on the pipeline."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from accounts.services import credits
from messaging import consent
from messaging.channels.whatsapp import content, message_templates, window
from messaging.channels.whatsapp.api.channel_request import outgoing_for
from messaging.channels.whatsapp.models import TemplateStatus, WhatsappTemplate
from messaging.channels.whatsapp.sending import quote, submit
from messaging.pipeline.models import Message
from portal.core.errors import FieldErrors, ValidationFailed
from tests.messaging.whatsapp.conftest import BUSINESS, CUSTOMER, OTHER_CUSTOMER, meta_template_data

pytestmark = pytest.mark.django_db


def parse(message):
    errors = FieldErrors()
    parsed = content.parse(message, errors)
    return parsed, dict(errors)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "text", "payload": {"text": ""}}, "message.payload.text"),
        ({"type": "text", "payload": {"text": "x" * 4097}}, "message.payload.text"),
        ({"type": "image", "payload": {"url": "https://e.com/a.gif"}}, "message.payload.url"),
        ({"type": "image", "payload": {"url": "https://e.com/a.png", "size": 6 * 1024 * 1024}}, "message.payload.size"),
        ({"type": "audio", "payload": {"url": "https://e.com/a.ogg"}}, "message.payload.url"),
        ({"type": "video", "payload": {"url": "ftp://e.com/a.mp4"}}, "message.payload.url"),
        ({"type": "document", "payload": {"url": "https://e.com/a.png"}}, "message.payload.url"),
        ({"type": "document", "payload": {"url": "https://e.com/a.pdf", "size": 101 << 20}}, "message.payload.size"),
        ({"type": "location", "payload": {"latitude": 91, "longitude": 0}}, "message.payload.latitude"),
        ({"type": "contacts", "payload": {"name": {"first_name": "A"}}}, "message.payload.phones"),
        (
            {"type": "interactive", "payload": {"type": "reply", "body": {"payload": {"text": "Hi"}},
             "choices": [{"type": "reply", "payload": {"title": "x" * 21, "id": "a"}}]}},
            "message.payload.choices.0.payload.title",
        ),
        ({"type": "template", "payload": {"name": ""}}, "message.payload.name"),
        ({"type": "sticker", "payload": {}}, "message.type"),
    ],
)  # fmt: skip
def test_every_type_checks_its_limits(message, field):
    _, errors = parse(message)
    assert field in errors, errors


def test_valid_types_become_content_documents():
    parsed, errors = parse({"type": "image", "payload": {"url": "https://e.com/a.jpg", "caption": "Hi"}})
    assert (
        not errors
        and parsed.free_form
        and parsed.content == {"type": "image", "url": "https://e.com/a.jpg", "caption": "Hi", "filename": ""}
    )
    choices = [
        {"type": "button", "payload": {"title": "Menu", "rows": [{"id": "1", "title": "One"}]}},
        {"type": "section", "payload": {"title": "More", "rows": [{"id": "2", "title": "Two"}]}},
    ]
    parsed, errors = parse(
        {"type": "interactive", "payload": {"type": "list", "body": {"payload": {"text": "Pick"}}, "choices": choices}}
    )
    assert not errors and parsed.content["style"] == "list" and len(parsed.content["sections"]) == 2
    parsed, errors = parse({"type": "template", "payload": {"name": "order-update", "body_params": ["A", "B"]}})
    assert not errors and not parsed.free_form and parsed.content["template"]["body"] == ["A", "B"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "has space"}, "name"),
        ({"category": "promo"}, "category"),
        ({"is_conversation": True}, "is_conversation"),
        (lambda p: p["header"]["payload"].update(text="x" * 61), "payload.header.payload.text"),
        (lambda p: p["header"]["payload"].update(text="{{a}} {{b}}"), "payload.header.payload.text"),
        (lambda p: p["body"]["payload"].update(text="x" * 1025), "payload.body.payload.text"),
        (lambda p: p["body"]["payload"].update(text="{{a}} and {{a}}"), "payload.body.payload.text"),
        (lambda p: p["body"]["payload"].update(text="no variables"), "payload.body.payload.text"),
        (lambda p: p["choices"]["reply"].update(quick_reply1="x" * 21), "payload.choices.reply.quick_reply1"),
    ],
)
def test_template_limits(change, field):
    data = meta_template_data()
    if callable(change):
        change(data["payload"])
    else:
        data.update(change)
    with pytest.raises(ValidationFailed) as refused:
        message_templates.validate(data)
    assert field in refused.value.errors


def test_authentication_template_code_expire_and_button():
    data = meta_template_data(category="authentication", name="login_code")
    data["payload"] = {
        "body": {"type": "text", "payload": {"text": "{{code}} is your verification code"}, "params": ["14567"]},
        "choices": {"type": "otp", "otp": {"otp_type": "copy_code", "text": "Copy code"}, "code_expire": 91},
    }
    with pytest.raises(ValidationFailed) as refused:
        message_templates.validate(data)
    assert list(refused.value.errors) == ["payload.choices.code_expire"]
    data["payload"]["choices"]["code_expire"] = 10
    assert message_templates.validate(data)["variables"] == ["code"]


def test_service_template_is_approved_at_once(account, business_number):
    data = {"type": "text", "name": "welcome", "category": "marketing", "language": "en", "is_conversation": True,
            "number": BUSINESS, "payload": {"type": "text", "payload": {"text": "Hello {{name}}"}}}  # fmt: skip
    template = message_templates.create(account=account, data=data)
    assert template.status == TemplateStatus.APPROVED and template.alias == "welcome"


def _text(numbers, text="Hello there", sender=BUSINESS):
    parsed, errors = parse({"type": "text", "payload": {"text": text}})
    return outgoing_for(numbers, parsed, sender=sender)


def test_free_form_only_inside_the_window(account, open_window):
    result = quote(account=account, outgoing=_text([CUSTOMER, OTHER_CUSTOMER, "12"]))
    assert [i["status"] for i in result.items] == ["queued", "notallowed", "notallowed"]
    assert result.items[1]["error"]["code"] == "131047" and "24 hours" in result.items[1]["error"]["reason"]
    assert result.items[2]["error"]["code"] == "INVALID"
    assert result.accepted == 1 and result.cost == Decimal("0.1")  # a service conversation, WSC


def test_a_window_that_closed_refuses(account, business_number):
    window.refresh(business_number, CUSTOMER, timezone.now() - timedelta(hours=25))
    assert quote(account=account, outgoing=_text([CUSTOMER])).items[0]["error"]["code"] == "131047"


def test_sending_from_a_number_the_account_does_not_own(account, other_account, open_window):
    result = quote(account=account, outgoing=_text([CUSTOMER], sender="919000000001"))
    assert result.items[0]["status"] == "notallowed" and result.items[0]["error"]["code"] == "SENDER"
    with pytest.raises(ValidationFailed):  # WAP is not enabled for the other account
        quote(account=other_account, outgoing=_text([CUSTOMER]))


def _template_send(numbers, params=("Asha", "today"), header="A1", name="order-update"):
    payload = {"name": name, "body_params": list(params)}
    if header is not None:
        payload["header_params"] = {"type": "text", "payload": {"text": header}}
    parsed, errors = parse({"type": "template", "payload": payload})
    assert not errors
    return outgoing_for(numbers, parsed, sender=BUSINESS)


def test_approved_templates_go_outside_the_window_and_are_priced_by_category(account, approved_template):
    result = quote(account=account, outgoing=_template_send([CUSTOMER, OTHER_CUSTOMER]))
    assert result.accepted == 2 and result.cost == Decimal("0.6")  # utility, WUC 0.3 each


def test_utility_inside_the_window_is_free(account, approved_template):
    window.refresh(approved_template.number, CUSTOMER, timezone.now())
    result = quote(account=account, outgoing=_template_send([CUSTOMER, OTHER_CUSTOMER]))
    assert [i["credits"] for i in result.items] == [0.0, 0.3]


def test_template_parameters_must_match(account, approved_template):
    with pytest.raises(ValidationFailed) as refused:
        quote(account=account, outgoing=_template_send([CUSTOMER], params=("one",)))
    assert "message.payload.body_params" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        quote(account=account, outgoing=_template_send([CUSTOMER], header=None))
    assert "message.payload.header_params" in refused.value.errors


@pytest.mark.parametrize(("status", "code"), [("PENDING", "132001"), ("REJECTED", "132001"), ("PAUSED", "132015")])
def test_only_approved_templates_send(account, approved_template, status, code):
    WhatsappTemplate.objects.filter(pk=approved_template.pk).update(status=status)
    item = quote(account=account, outgoing=_template_send([CUSTOMER])).items[0]
    assert item["status"] == "notallowed" and item["error"]["code"] == code
    assert (
        quote(account=account, outgoing=_template_send([CUSTOMER], name="nope")).items[0]["error"]["code"] == "132001"
    )


def test_marketing_opt_out_stops_marketing_templates_only(account, approved_template):
    consent.opt_out(account=account, channel="whatsapp", receiver=CUSTOMER, scope="product", value="WMC")
    assert quote(account=account, outgoing=_template_send([CUSTOMER])).accepted == 1  # utility still goes
    WhatsappTemplate.objects.filter(pk=approved_template.pk).update(category="marketing")
    item = quote(account=account, outgoing=_template_send([CUSTOMER])).items[0]
    assert item["error"]["code"] == "131050"


def test_submit_charges_once_and_stores_the_content(account, open_window, django_capture_on_commit_callbacks):
    balance = credits.balance(account)
    with (
        mock.patch("messaging.pipeline.submit.enqueue") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = submit(account=account, outgoing=_text([CUSTOMER, OTHER_CUSTOMER]))
    assert sent.batch.accepted == 1 and credits.balance(account) == balance - Decimal("0.1")
    stored = Message.objects.get(batch=sent.batch, index=1)
    assert stored.channel == "whatsapp" and stored.content == {"type": "text", "text": "Hello there"}
    refused = Message.objects.get(batch=sent.batch, index=2)
    assert (refused.status, refused.status_code, refused.charges) == ("notallowed", "131047", 0)
    assert enqueue.call_args.args[1] == "whatsapp"
