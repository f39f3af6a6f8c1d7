"""Merge fields in the WhatsApp composer and the inbox reply: `{{first_name}}`, `{{attributes.plan}}`
in a text, a caption, a body or a template's values, filled per recipient from their own contact
(empty for a number that is no contact), each merged message checked against Meta's limits and
refused per recipient in the quote and the send alike; another account's contacts never merged."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import LedgerEntry
from contacts.services.contacts import create_contact
from contacts.services.identifiers import add_identifier
from contacts.services.segments import count_segment, create_segment
from messaging.channels.whatsapp import composer, numbers, window
from messaging.channels.whatsapp.models import BusinessNumber, InboundMessage
from messaging.channels.whatsapp.sending import submit
from messaging.pipeline.models import Message
from tests.messaging.whatsapp.conftest import BUSINESS, CUSTOMER, OTHER_CUSTOMER

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
STRANGER = "919876543299"  # no contact of the account
GREETING = "Hi {{first_name}}, your plan: {{attributes.plan}}"


@pytest.fixture
def contacts(account, business_number):
    """Asha reached on WhatsApp (and her mobile), Ravi by his mobile only, the stranger no contact;
    windows open for all three. Another account has contacts on the same numbers."""
    asha = create_contact(
        account=account,
        data={"identity": "asha", "phone": f"+{CUSTOMER}", "first_name": "Asha", "attributes": {"plan": "Gold"},
              "tags": ["vip"]},
    )  # fmt: skip
    add_identifier(contact=asha, data={"type": "whatsapp", "value": CUSTOMER})
    create_contact(
        account=account,
        data={
            "identity": "ravi",
            "phone": f"+{OTHER_CUSTOMER}",
            "first_name": "Ravi",
            "attributes": {"plan": "Silver"},
        },
    )
    now = timezone.now() - timedelta(minutes=5)
    for customer in (CUSTOMER, OTHER_CUSTOMER, STRANGER):
        window.refresh(business_number, customer, now)
    return asha


@pytest.fixture
def intruders(other_account):
    for identity, number, name in (("m", CUSTOMER, "Mallory"), ("i", STRANGER, "Intruder")):
        contact = create_contact(
            account=other_account,
            data={"identity": identity, "phone": f"+{number}", "first_name": name, "attributes": {"plan": "Stolen"}},
        )
        add_identifier(contact=contact, data={"type": "whatsapp", "value": number})


def _compose(account, **data):
    return composer.compose_send(account, {"sender": BUSINESS, "message_type": "text", **data}, strict=False)


def _by_number(composition):
    return {o.to: o for o in composition.outgoing}


def _charge_of(batch):
    return -sum(e.amount for e in LedgerEntry.objects.filter(reference=str(batch.uuid)))


# -- the service -----------------------------------------------------------------------------------


def test_each_recipient_gets_their_own_contacts_fields(account, contacts):
    composition = _compose(account, text=GREETING, recipients=f"{CUSTOMER}, {OTHER_CUSTOMER}, {STRANGER}")
    sent = _by_number(composition)
    assert sent[CUSTOMER].content["text"] == "Hi Asha, your plan: Gold"
    assert sent[OTHER_CUSTOMER].text == "Hi Ravi, your plan: Silver"  # his mobile: no WhatsApp identifier
    assert sent[STRANGER].content["text"] == "Hi , your plan:"  # no contact: empty, as SMS does (then trimmed)
    assert len({o.key for o in composition.outgoing}) == 3 and not any(o.refusal for o in composition.outgoing)
    assert [s.text for s in composition.samples] == [o.content["text"] for o in composition.outgoing]
    plan = composer.estimate(account, composition)
    assert plan.summary.accepted == 3 and plan.summary.cost == Decimal("0.3")  # three service messages


def test_a_text_without_merge_fields_is_one_shared_content(account, contacts):
    composition = _compose(account, text="Hello {{not_a_field}}", recipients=f"{CUSTOMER}, {STRANGER}")
    assert not composition.merged and not composition.samples
    assert {o.key for o in composition.outgoing} == {composition.outgoing[0].key}
    assert composition.outgoing[0].text == "Hello {{not_a_field}}"


def test_the_whatsapp_identifier_wins_over_another_contacts_mobile(account, business_number):
    by_mobile = create_contact(account=account, data={"identity": "m", "phone": f"+{CUSTOMER}", "first_name": "Mob"})
    on_whatsapp = create_contact(
        account=account, data={"identity": "w", "phone": "+919800000001", "first_name": "Wendy"}
    )
    add_identifier(contact=on_whatsapp, data={"type": "whatsapp", "value": CUSTOMER})
    assert by_mobile.pk != on_whatsapp.pk
    assert _compose(account, text="Hi {{first_name}}", recipients=CUSTOMER).outgoing[0].text == "Hi Wendy"


def test_the_text_limit_is_checked_on_each_merged_text(account, contacts):
    contacts.attributes = {"plan": "p" * 4091}
    contacts.save(update_fields=["attributes"])
    composition = _compose(account, text="Plan: {{attributes.plan}}", recipients=f"{CUSTOMER}, {STRANGER}")
    assert not composition.problem_count  # the typed text is within the limit, and so is the stranger's
    sent = _by_number(composition)
    assert sent[CUSTOMER].refusal == "LIMIT" and sent[STRANGER].refusal == ""
    asha = composition.samples[0]
    assert asha.problem == "The text may not be greater than 4096 characters."
    plan = composer.estimate(account, composition)
    assert plan.summary.accepted == 1 and plan.summary.total == 2
    assert plan.reasons == [("Over a WhatsApp limit once the merge fields are filled in for this recipient.", 1)]


def test_a_caption_and_an_interactive_body_are_merged_and_measured(account, contacts):
    contacts.attributes = {"plan": "c" * 1020}
    contacts.save(update_fields=["attributes"])
    media = {"message_type": "image", "media_url": "https://example.com/a.png"}
    composition = _compose(
        account, **media, text="{{first_name}} {{attributes.plan}}", recipients=f"{CUSTOMER}, {OTHER_CUSTOMER}"
    )
    sent = _by_number(composition)
    assert sent[OTHER_CUSTOMER].content["caption"] == "Ravi Silver" and sent[OTHER_CUSTOMER].refusal == ""
    assert sent[CUSTOMER].refusal == "LIMIT"  # 1,025 characters: over the caption's 1,024
    assert composition.samples[0].problem == "The caption may not be greater than 1024 characters."
    buttons = {"message_type": "interactive", "buttons": "Yes, No"}
    composition = _compose(account, **buttons, text="{{first_name}}, renew?", recipients=OTHER_CUSTOMER)
    assert composition.outgoing[0].content["body"] == "Ravi, renew?"


def test_a_text_over_the_limit_whatever_the_values_is_a_problem_of_the_field(account, contacts):
    composition = _compose(account, text="z" * 4097 + "{{first_name}}", recipients=CUSTOMER)
    assert composition.problems["text"] == ["The text may not be greater than 4096 characters."]
    assert not composition.outgoing


def test_a_recipient_whose_merged_text_is_empty_is_refused(account, contacts):
    composition = _compose(account, text="{{first_name}}", recipients=f"{CUSTOMER}, {STRANGER}")
    assert not composition.problem_count  # a contact has one: not the field's problem
    sent = _by_number(composition)
    assert sent[CUSTOMER].text == "Asha" and sent[STRANGER].refusal == "EMPTY"
    assert composition.samples[1].problem == "The text field is required."
    quote = composer.estimate(account, composition)
    assert quote.summary.accepted == 1 and quote.reasons[0][0].startswith("Empty once the merge fields")


def test_template_values_are_merged_and_an_empty_value_is_refused(account, contacts, approved_template):
    values = {"message_type": "template", "template": str(approved_template.uuid),
              "header_param": "{{attributes.plan}}", "var_name": "{{first_name}}", "var_day": "today"}  # fmt: skip
    composition = _compose(account, **values, recipients=f"{CUSTOMER}, {STRANGER}")
    sent = _by_number(composition)
    template = sent[CUSTOMER].content["template"]
    assert template["body"] == ["Asha", "today"] and template["header"]["text"] == "Gold"
    assert sent[CUSTOMER].refusal == "" and sent[STRANGER].refusal == "EMPTY"
    assert composition.samples[0].text == "Order Gold\nHi Asha, your order ships today."
    assert composition.samples[1].problem == "The value of {{name}} is empty."
    quote = composer.estimate(account, composition)
    assert quote.summary.accepted == 1 and quote.summary.total == 2


def test_template_values_over_1024_characters_once_merged_are_refused(account, contacts, approved_template):
    contacts.attributes = {"plan": "v" * 1020}
    contacts.save(update_fields=["attributes"])
    values = {"message_type": "template", "template": str(approved_template.uuid), "header_param": "1042",
              "var_name": "{{attributes.plan}}", "var_day": "today"}  # fmt: skip
    composition = _compose(account, **values, recipients=f"{CUSTOMER}, {OTHER_CUSTOMER}")
    sent = _by_number(composition)
    assert sent[CUSTOMER].refusal == "LIMIT" and sent[OTHER_CUSTOMER].refusal == ""
    assert composition.samples[0].problem == "The body parameters may not be greater than 1024 characters."


def test_another_accounts_contacts_are_never_merged(account, contacts, intruders):
    composition = _compose(account, text=GREETING, recipients=f"{CUSTOMER}, {STRANGER}")
    texts = [o.text for o in composition.outgoing]
    assert texts == ["Hi Asha, your plan: Gold", "Hi , your plan:"]
    assert not any("Mallory" in t or "Intruder" in t or "Stolen" in t for t in texts)


def test_the_send_stores_each_merged_message_and_refuses_the_over_limit_one_uncharged(account, contacts):
    contacts.attributes = {"plan": "p" * 4090}
    contacts.save(update_fields=["attributes"])
    composition = _compose(
        account, text="Plan: {{attributes.plan}} {{first_name}}", recipients=f"{CUSTOMER}, {OTHER_CUSTOMER}"
    )
    quote = composer.estimate(account, composition)
    submission = submit(account=account, outgoing=composition.outgoing, source="portal")
    rows = {m.mobile: m for m in Message.objects.filter(batch=submission.batch)}
    assert rows[OTHER_CUSTOMER].text == "Plan: Silver Ravi" and rows[OTHER_CUSTOMER].status == "queued"
    assert rows[CUSTOMER].status == "notallowed" and rows[CUSTOMER].status_code == "LIMIT"
    assert rows[CUSTOMER].charges == 0
    assert submission.accepted == quote.summary.accepted == 1
    assert _charge_of(submission.batch) == quote.summary.cost > 0


# -- the composer's pages --------------------------------------------------------------------------


@pytest.fixture
def vip_segment(account, contacts):
    segment = create_segment(account=account, data={"name": "VIP chat", "positive_tags": ["vip"]})
    count_segment(segment)
    return segment


def test_the_preview_shows_each_recipients_merged_text(user_client, contacts, vip_segment):
    data = {"sender": BUSINESS, "message_type": "text", "text": GREETING, "recipients": f"{OTHER_CUSTOMER}, {STRANGER}",
            "segments": [vip_segment.pk]}  # fmt: skip
    html = user_client.post(reverse("whatsapp:compose_preview"), data, **HTMX).content.decode()
    assert "Per recipient" in html
    samples = html.split('class="samples"', 1)[1].split("</ul>", 1)[0]
    assert samples.index("Hi Ravi, your plan: Silver") < samples.index("Hi , your plan:<")
    assert samples.index("Hi , your plan:<") < samples.index("Hi Asha, your plan: Gold")  # the segment's, last
    assert "3 of 3 to send" in html and "Send to 3 recipients" in html
    assert samples.count("no contact: merge fields empty") == 1


def test_the_preview_names_a_refused_recipient_and_the_button_counts_it(user_client, contacts):
    data = {
        "sender": BUSINESS,
        "message_type": "text",
        "text": "{{first_name}}",
        "recipients": f"{CUSTOMER}, {STRANGER}",
    }
    html = user_client.post(reverse("whatsapp:compose_preview"), data, **HTMX).content.decode()
    assert "Refused</span>" in html and "The text field is required." in html
    assert "Empty once the merge fields are filled in for this recipient" in html
    assert "1 of 2 to send" in html and "Send: 1 of 2 would be accepted" in html


def test_the_send_creates_messages_with_the_merged_content(user_client, account, contacts, approved_template):
    values = {"sender": BUSINESS, "message_type": "template", "template": str(approved_template.uuid),
              "header_param": "{{attributes.plan}}", "var_name": "{{first_name}}", "var_day": "today",
              "recipients": f"{CUSTOMER}, {OTHER_CUSTOMER}"}  # fmt: skip
    preview = user_client.post(reverse("whatsapp:compose_preview"), values, **HTMX)
    res = user_client.post(reverse("whatsapp:compose"), values)
    assert res.status_code == 302
    rows = {m.mobile: m for m in Message.objects.filter(account=account)}
    assert rows[CUSTOMER].content["template"]["body"] == ["Asha", "today"]
    assert rows[OTHER_CUSTOMER].content["template"]["header"]["text"] == "Silver"
    assert rows[OTHER_CUSTOMER].text == "order-update: Ravi · today"
    assert _charge_of(rows[CUSTOMER].batch) == preview.context["summary"].cost


def test_the_send_flash_names_the_merge_refusal(user_client, account, contacts):
    data = {
        "sender": BUSINESS,
        "message_type": "text",
        "text": "{{first_name}}",
        "recipients": f"{CUSTOMER}, {STRANGER}",
    }
    res = user_client.post(reverse("whatsapp:compose"), data, follow=True)
    html = res.content.decode()
    assert "1 of 2 WhatsApp messages accepted; refused: Empty once the merge fields" in html
    assert Message.objects.get(account=account, mobile=CUSTOMER).text == "Asha"
    refused = Message.objects.get(account=account, mobile=STRANGER)
    assert refused.status == "notallowed" and refused.charges == 0
    detail = user_client.get(reverse("whatsapp:message_detail", args=[refused.batch.uuid, refused.index]))
    assert "EMPTY</span> Empty once the merge fields are filled in" in detail.content.decode()


def test_the_preview_never_merges_another_accounts_contacts(user_client, contacts, intruders):
    data = {"sender": BUSINESS, "message_type": "text", "text": GREETING, "recipients": f"{CUSTOMER}, {STRANGER}"}
    html = user_client.post(reverse("whatsapp:compose_preview"), data, **HTMX).content.decode()
    assert "Hi Asha, your plan: Gold" in html and "Mallory" not in html and "Intruder" not in html
    assert "Stolen" not in html


# -- the inbox reply ---------------------------------------------------------------------------------


def contacts_number(contact):
    return BusinessNumber.objects.get(account=contact.account)


def _reply_url(number, customer=CUSTOMER):
    return reverse("whatsapp:reply", args=[number.pk, customer])


def test_picking_a_template_gives_a_field_per_value(user_client, business_number, approved_template):
    url = reverse("whatsapp:reply_values", args=[business_number.pk, CUSTOMER])
    html = user_client.get(url, {"template": str(approved_template.uuid)}, **HTMX).content.decode()
    assert 'id="reply-values"' in html
    for name in ("header_param", "var_name", "var_day"):
        assert f'name="{name}"' in html
    assert "Header: {{order}}" in html and "Body: {{day}}" in html and 'name="params"' not in html
    assert "<fieldset" not in user_client.get(url, {"template": ""}, **HTMX).content.decode()
    page = user_client.get(reverse("whatsapp:conversation", args=[business_number.pk, CUSTOMER])).content.decode()
    assert 'id="id_template"' in page and url in page and "Comma-separated" not in page


def test_a_template_reply_merges_the_conversations_contact(user_client, account, contacts, approved_template):
    data = {"message_type": "template", "template": str(approved_template.uuid), "header_param": "1042",
            "var_name": "{{first_name}}", "var_day": "on {{attributes.plan}} day"}  # fmt: skip
    res = user_client.post(_reply_url(contacts_number(contacts)), data, **HTMX)
    assert res.status_code == 200
    message = Message.objects.get(account=account)
    assert message.mobile == CUSTOMER and message.batch.source == "inbox"
    assert message.content["template"]["body"] == ["Asha", "on Gold day"]
    assert "order-update: Asha · on Gold day" in res.content.decode()  # the thread shows it


def test_a_text_reply_merges_the_contact_and_a_missing_value_is_named(user_client, account, contacts, intruders):
    number = contacts_number(contacts)
    page = user_client.get(reverse("whatsapp:conversation", args=[number.pk, CUSTOMER])).content.decode()
    assert "Merge fields come from the contact <strong>Asha</strong>." in page and "Mallory" not in page
    page = user_client.get(reverse("whatsapp:conversation", args=[number.pk, STRANGER])).content.decode()
    assert "This number is no contact: merge fields stay empty." in page and "Intruder" not in page
    res = user_client.post(_reply_url(number), {"message_type": "text", "text": "Thanks {{first_name}}!"}, **HTMX)
    assert res.status_code == 200 and Message.objects.get(account=account).text == "Thanks Asha!"
    res = user_client.post(_reply_url(number, STRANGER), {"message_type": "text", "text": "{{first_name}}"}, **HTMX)
    assert res.status_code == 422 and "Empty once the merge fields are filled in" in res.content.decode()
    assert not Message.objects.filter(account=account, mobile=STRANGER, status="queued").exists()


def test_a_template_reply_with_a_value_left_out_is_refused_beside_it(user_client, account, contacts, approved_template):
    data = {"message_type": "template", "template": str(approved_template.uuid), "header_param": "1042",
            "var_name": "Asha", "var_day": ""}  # fmt: skip
    res = user_client.post(_reply_url(contacts_number(contacts)), data, **HTMX)
    html = res.content.decode()
    assert res.status_code == 422 and not Message.objects.exists()
    assert "takes 2 body parameters; 1 given" in html.split('id="err-var_day"', 1)[1].split("</div>", 1)[0]
    assert 'value="Asha"' in html  # what was typed stays


def test_the_reply_without_javascript_shows_the_templates_fields(user_client, contacts, approved_template):
    data = {"message_type": "template", "template": str(approved_template.uuid), "refresh": "1"}
    res = user_client.post(_reply_url(contacts_number(contacts)), data)
    assert res.status_code == 200 and 'name="var_name"' in res.content.decode() and not Message.objects.exists()


def test_another_accounts_conversation_is_a_404(user_client, other_account):
    details = {"number": "447400123456", "display_name": "Theirs", "api_base_url": "http://127.0.0.1:9",
               "app_secret": "x"}  # fmt: skip
    theirs = numbers.onboard(account=other_account, data=details)
    url = reverse("whatsapp:reply_values", args=[theirs.pk, CUSTOMER])
    assert user_client.get(url, {"template": ""}, **HTMX).status_code == 404
    assert user_client.post(_reply_url(theirs), {"message_type": "text", "text": "Hi"}).status_code == 404


def test_the_thread_poll_leaves_the_reply_form_alone(user_client, business_number):
    InboundMessage.objects.create(
        account=business_number.account, number=business_number, customer=CUSTOMER, wamid="wamid.9", type="text",
        payload={"text": "Hello"}, text="Hello", received_at=timezone.now(),
    )  # fmt: skip
    html = user_client.get(reverse("whatsapp:conversation", args=[business_number.pk, CUSTOMER])).content.decode()
    thread = html.split('<ol id="wa-thread"', 1)[1].split(">", 1)[0]
    assert 'hx-target="this"' in thread and 'hx-select="#wa-thread"' in thread
    assert 'hx-select-oob="#window-state"' in thread and 'id="window-state"' in html
