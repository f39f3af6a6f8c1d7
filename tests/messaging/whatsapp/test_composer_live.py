"""The WhatsApp composer's live limits: every content rule of the API checked as typed, beside its
field with the field and the limit named, an approved template's values one field each, the send
button saying what will happen, and a send refused with the same words."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from messaging.channels.whatsapp import media
from messaging.pipeline.models import Message
from tests.messaging.whatsapp.conftest import BUSINESS, CUSTOMER

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PREVIEW = "whatsapp:compose_preview"
BASE = {"sender": BUSINESS, "recipients": CUSTOMER}


def _live(client, **data):
    return client.post(reverse(PREVIEW), {**BASE, **data}, **HTMX).content.decode()


def _slot(html, name):
    return html.split(f'id="err-{name}"', 1)[1].split("</div>", 1)[0]


def test_an_empty_composer_is_not_called_wrong(user_client, open_window):
    html = _live(user_client, message_type="text", text="")
    assert "<li>" not in _slot(html, "text") and "Write the message to see the cost." in html
    assert '<button type="submit" id="compose-button" hx-swap-oob="true">Send</button>' in html


def test_text_over_4096_is_named_beside_the_field_and_on_the_button(user_client, open_window):
    html = _live(user_client, message_type="text", text="x" * 4097)
    slot = _slot(html, "text")
    assert 'hx-swap-oob="true"' in slot and "The text may not be greater than 4096 characters." in slot
    assert "4097 / 4096 characters" in html and "Fix 1 problem to send" in html
    ok = _live(user_client, message_type="text", text="Hello")
    assert "Send to 1 recipient" in ok and "<li>" not in _slot(ok, "text")


def test_reply_buttons_at_most_three_of_twenty_characters(user_client, open_window):
    html = _live(user_client, message_type="interactive", text="Pick one", buttons="A, B, C, D")
    assert "At most 3 reply buttons." in _slot(html, "buttons") and "4 / 3 buttons" in html
    html = _live(user_client, message_type="interactive", text="Pick one", buttons="y" * 21)
    assert "The button 1 title may not be greater than 20 characters." in _slot(html, "buttons")


def test_list_limits(user_client, open_window):
    rows = "\n".join(f"Row {i}" for i in range(11))
    html = _live(user_client, message_type="list", text="Choose", list_button="Options", rows=rows)
    assert "at most 10 rows" in _slot(html, "rows") and "11 / 10 rows" in html
    html = _live(user_client, message_type="list", text="Choose", list_button="Options", rows="t" * 25 + " | d")
    assert "The row 1 title may not be greater than 24 characters." in _slot(html, "rows")
    untouched = {"message_type": "list", "text": "Choose", "list_button": "", "rows": "One"}
    assert "<li>" not in _slot(_live(user_client, **untouched), "list_button")  # nothing typed there yet
    sent = user_client.post(reverse("whatsapp:compose"), {**BASE, **untouched})
    assert sent.status_code == 422 and "A list needs a choice of type button with a title." in _slot(
        sent.content.decode(), "list_button"
    )
    ok = _live(user_client, message_type="list", text="Choose", list_button="Options", rows="One | first\nTwo")
    assert "1 of 1 to send" in ok


def test_media_type_by_link_and_kind_from_the_library(user_client, account, other_account, open_window, tmp_path):
    html = _live(user_client, message_type="image", media_url="https://example.com/a.gif")
    assert "The image must be a file of type: jpg, jpeg, png." in _slot(html, "media_url")
    stores = {**settings.STORAGES, "whatsapp_media": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                      "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    with override_settings(STORAGES=stores):
        doc = media.upload(account=account, kind="document", file=SimpleUploadedFile("terms.pdf", b"%PDF-1.4"))
        html = _live(user_client, message_type="image", media=str(doc.uuid))
        assert "not one of your image media" in _slot(html, "media")
        page = user_client.get(reverse("whatsapp:compose") + "?type=document").content.decode()
        assert "terms.pdf · document" in page
        ok = _live(user_client, message_type="document", media=str(doc.uuid), text="Our terms")
        assert "Send to 1 recipient" in ok
        theirs = media.upload(account=other_account, kind="document", file=SimpleUploadedFile("x.pdf", b"%PDF"))
        html = _live(user_client, message_type="document", media=str(theirs.uuid))
        assert "not one of your document media" in _slot(html, "media") and "x.pdf" not in html


def test_a_templates_values_are_fields_with_their_limits(user_client, approved_template):
    picked = {"message_type": "template", "template": str(approved_template.uuid)}
    fields = user_client.get(reverse("whatsapp:compose_fields"), picked, **HTMX)
    html = fields.content.decode()
    assert fields["HX-Trigger-After-Settle"] == "fieldsChanged"
    assert 'name="header_param"' in html and 'name="var_name"' in html and 'name="var_day"' in html
    assert "At most 60 characters." in html
    values = {"message_type": "template", "template": str(approved_template.uuid)}
    html = _live(user_client, **values, header_param="x" * 61, var_name="Asha", var_day="today")
    assert "The header value may not be greater than 60 characters." in _slot(html, "header_param")
    html = _live(user_client, **values, header_param="1042", var_name="Asha", var_day="")
    assert "takes 2 body parameters; 1 given" in _slot(html, "var_day") and "<li>" not in _slot(html, "var_name")
    ok = _live(user_client, **values, header_param="1042", var_name="Asha", var_day="today")
    assert "1 of 1 to send" in ok and "Send to 1 recipient" in ok and "Utility" in ok


def test_an_unknown_or_other_accounts_template_is_refused(user_client, open_window):
    html = _live(user_client, message_type="template", template="00000000-0000-0000-0000-000000000000")
    assert "not one of your approved templates" in _slot(html, "template")
    assert "not one of your approved templates" in _live(user_client, message_type="template", template="bogus")


def test_the_send_refuses_what_the_preview_names_and_sends_the_rest(user_client, approved_template):
    bad = user_client.post(reverse("whatsapp:compose"), {**BASE, "message_type": "text", "text": "x" * 4097})
    assert bad.status_code == 422 and "may not be greater than 4096 characters" in bad.content.decode()
    assert not Message.objects.exists()
    values = {"message_type": "template", "template": str(approved_template.uuid), "header_param": "1042",
              "var_name": "Asha", "var_day": "today"}  # fmt: skip
    res = user_client.post(reverse("whatsapp:compose"), {**BASE, **values})
    assert res.status_code == 302
    message = Message.objects.get()
    assert message.content["template"]["body"] == ["Asha", "today"] and message.status == "queued"


def test_the_fields_follow_the_type_without_javascript(user_client, business_number):
    page = user_client.post(reverse("whatsapp:compose"), {**BASE, "message_type": "list", "refresh": "1"})
    html = page.content.decode()
    assert page.status_code == 200 and 'name="rows"' in html and 'name="media_url"' not in html
    assert not Message.objects.exists()
