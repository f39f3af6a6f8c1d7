"""The template builder, step by step: each step checked with the API's own rules (the same words
as `POST whatsapp/templates`), Back keeping what was typed, a sample value per variable, the live
check beside each field, submission and the review status, a copy of a rejected template."""

from unittest import mock

import pytest
from django.urls import reverse

from messaging.channels.whatsapp import cloud_api, message_templates
from messaging.channels.whatsapp.models import TemplateStatus, WhatsappTemplate
from tests.messaging.whatsapp.conftest import BUSINESS, meta_template_data

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
NEW = "whatsapp:template_new"
LIVE = "whatsapp:template_preview"
STEP_ONE = {"number": BUSINESS, "kind": "template", "category": "utility", "name": "order_update", "language": "en"}
CONTENT = {
    "header_type": "text", "header_text": "Order {{order}}", "body": "Hi {{name}}, it ships {{day}}.",
    "footer": "Acme", "buttons": "reply", "reply1": "Track", "reply2": "Help",
}  # fmt: skip
SAMPLES = {"sample_order": "1042", "sample_name": "Asha", "sample_day": "today"}


def _post(client, step, go="next", **data):
    return client.post(reverse(NEW), {"step": step, "go": go, **data})


def test_the_first_step_shows_kind_and_name(user_client, business_number):
    html = user_client.get(reverse(NEW)).content.decode()
    assert "Step 1 of 3: Kind and name" in html and 'aria-current="step">Kind and name' in html
    assert 'name="kind"' in html and 'name="category"' in html and 'name="body"' not in html


def test_step_one_refuses_a_bad_name_in_the_api_words_and_nothing_of_later_steps(user_client, business_number):
    res = _post(user_client, 1, **{**STEP_ONE, "name": "order update"})
    html = res.content.decode()
    assert res.status_code == 422 and "Step 1 of 3" in html
    assert "may only contain letters, digits and underscores" in html
    assert "payload.body.payload.text field is required" not in html  # the content is step 2's


def test_step_one_moves_to_the_content_of_its_kind(user_client, business_number):
    meta = _post(user_client, 1, **STEP_ONE).content.decode()
    assert "Step 2 of 3: Content" in meta and 'name="header_type"' in meta and 'name="buttons"' in meta
    assert 'type="hidden" name="name" value="order_update"' in meta  # step 1 carried along
    service = _post(user_client, 1, **{**STEP_ONE, "kind": "text"}).content.decode()
    assert '<label for="id_body">Text</label>' in service and 'name="header_type"' not in service
    auth = _post(user_client, 1, **{**STEP_ONE, "category": "authentication"}).content.decode()
    assert 'name="otp_type"' in auth and 'name="code_expire"' in auth and 'name="header_type"' not in auth


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"header_text": "x" * 61}, "header_text", "may not be greater than 60 characters"),
        ({"header_text": "{{a}} {{b}}"}, "header_text", "at most one variable"),
        ({"body": "y" * 1025}, "body", "may not be greater than 1024 characters"),
        ({"body": "Hi {{name}} and {{name}}"}, "body", "must be distinct"),
        ({"body": "No variable at all"}, "body", "needs at least one variable"),
        ({"reply1": "z" * 21}, "reply1", "may not be greater than 20 characters"),
        ({"buttons": "actions", "url_text": "Shop", "url": "not a url"}, "url", "valid http(s) URL"),
    ],
)
def test_step_two_checks_the_content_with_the_api_rules(user_client, business_number, change, field, words):
    res = _post(user_client, 2, **STEP_ONE, **{**CONTENT, **change})
    html = res.content.decode()
    assert res.status_code == 422 and "Step 2 of 3" in html
    slot = html.split(f'id="err-{field}"', 1)[1].split("</div>", 1)[0]
    assert words in slot  # beside its field


def test_authentication_content_and_its_code_expiry(user_client, business_number):
    auth = {**STEP_ONE, "category": "authentication", "body": "{{code}} is your code", "otp_type": "copy_code",
            "otp_text": "Copy code"}  # fmt: skip
    res = _post(user_client, 2, **auth, code_expire="91")
    assert res.status_code == 422 and "between 1 and 90 minutes" in res.content.decode()
    res = _post(user_client, 2, **auth, code_expire="abc")
    assert res.status_code == 422 and "Enter a whole number" in res.content.decode()
    ok = _post(user_client, 2, **auth, code_expire="10")
    assert ok.status_code == 200 and 'id="id_sample_code"' in ok.content.decode()


def test_a_json_service_template_needs_valid_json(user_client, business_number):
    res = _post(user_client, 2, **{**STEP_ONE, "kind": "json", "json": '{"a": 1,'})
    assert res.status_code == 422 and "not valid JSON" in res.content.decode()
    assert _post(user_client, 2, **{**STEP_ONE, "kind": "json", "json": '{"a": 1}'}).status_code == 200


def test_back_keeps_what_was_typed(user_client, business_number):
    res = _post(user_client, 3, "back", **STEP_ONE, **CONTENT, sample_name="Asha")
    html = res.content.decode()
    assert res.status_code == 200 and "Step 2 of 3" in html
    assert "Hi {{name}}, it ships {{day}}." in html and 'value="Track"' in html
    assert 'type="hidden" name="sample_name" value="Asha"' in html
    first = _post(user_client, 2, "back", **STEP_ONE, **CONTENT).content.decode()
    assert "Step 1 of 3" in first and 'value="order_update"' in first
    assert 'type="hidden" name="header_text" value="Order {{order}}"' in first


def test_step_three_asks_a_sample_for_each_variable(user_client, business_number):
    res = _post(user_client, 3, **STEP_ONE, **CONTENT, sample_order="1042")
    html = res.content.decode()
    assert res.status_code == 422 and "Step 3 of 3" in html
    assert "The sample value of {{name}} is required." in html and "The sample value of {{day}} is required." in html
    assert not WhatsappTemplate.objects.exists()


def test_the_last_step_submits_for_review_and_the_page_follows_it(
    user_client, business_number, django_capture_on_commit_callbacks
):
    review = _post(user_client, 2, **STEP_ONE, **CONTENT).content.decode()
    assert "Submit for Meta's review" in review and "Hi Asha" not in review
    with (
        mock.patch("messaging.channels.whatsapp.message_templates.submit") as submit,
        django_capture_on_commit_callbacks(execute=True),
    ):
        res = _post(user_client, 3, **STEP_ONE, **CONTENT, **SAMPLES)
    template = WhatsappTemplate.objects.get()
    assert res.status_code == 302 and submit.called and template.status == TemplateStatus.PENDING
    assert template.payload["examples"] == ["Asha", "today"] and template.payload["header_examples"] == ["1042"]
    url = reverse("whatsapp:template_detail", args=[template.uuid])
    page = user_client.get(url).content.decode()
    assert "Pending" in page and 'hx-trigger="every 2s"' in page and "Submitted to Meta" in page
    message_templates.update_status(template, "REJECTED", reason="INVALID_FORMAT")
    fragment = user_client.get(url, **HTMX).content.decode()
    assert "INVALID_FORMAT" in fragment and "every 2s" not in fragment and f"?from={template.uuid}" in fragment


def test_htmx_steps_answer_the_builder_fragment_and_a_client_redirect(user_client, business_number):
    res = user_client.post(reverse(NEW), {"step": 1, "go": "next", **STEP_ONE}, **HTMX)
    html = res.content.decode()
    assert res.status_code == 200 and html.startswith('<div id="template-builder">') and "<html" not in html
    assert "data-step-focus" in html
    with mock.patch("messaging.channels.whatsapp.message_templates.submit"):
        done = user_client.post(reverse(NEW), {"step": 3, "go": "next", **STEP_ONE, **CONTENT, **SAMPLES}, **HTMX)
    assert done.status_code == 204 and done["HX-Redirect"].startswith("/whatsapp/templates/")


def test_a_taken_name_sends_the_user_back_to_step_one(user_client, account, business_number):
    message_templates.create(account=account, data=meta_template_data(), submit_to_provider=False)
    res = _post(user_client, 3, **STEP_ONE, **CONTENT, **SAMPLES)
    html = res.content.decode()
    assert res.status_code == 422 and "Step 1 of 3" in html and "A template with this name and language exists" in html


def test_the_live_check_names_problems_beside_typed_fields_only(user_client, business_number):
    data = {"step": 2, **STEP_ONE, **CONTENT, "header_text": "x" * 61, "body": ""}
    html = user_client.post(reverse(LIVE), data, **HTMX).content.decode()
    header = html.split('id="err-header_text"', 1)[1].split("</div>", 1)[0]
    assert 'hx-swap-oob="true"' in header and "may not be greater than 60 characters" in header
    body = html.split('id="err-body"', 1)[1].split("</div>", 1)[0]
    assert "<li>" not in body  # nothing typed yet: not called required while typing
    assert 'class="char-count over" hx-swap-oob="true">61 / 60 characters' in html
    assert "1 problem on this step" in html and "wa-phone" in html
    fixed = user_client.post(reverse(LIVE), {**data, "header_text": "Order {{order}}"}, **HTMX).content.decode()
    assert "Within every WhatsApp limit so far" in fixed and "<li>" not in fixed


def test_the_live_preview_fills_in_the_samples(user_client, business_number):
    html = user_client.post(reverse(LIVE), {"step": 3, **STEP_ONE, **CONTENT, **SAMPLES}, **HTMX).content.decode()
    assert "Order 1042" in html and "Hi Asha, it ships today." in html and "Track" in html


def test_the_builder_and_the_api_refuse_alike(user_client, api_client, business_number):
    api = api_client.post("/api/v2/whatsapp/templates", meta_template_data(name="bad name"), format="json")
    page = _post(user_client, 1, **{**STEP_ONE, "name": "bad name"})
    assert api.status_code == 422 and api.json()["errors"]["name"][0] in page.content.decode()


def test_the_api_checks_samples_when_given(api_client, business_number):
    data = meta_template_data()
    data["payload"]["body"]["params"] = ["Asha"]
    res = api_client.post("/api/v2/whatsapp/templates", data, format="json")
    assert res.status_code == 422 and "payload.body.params" in res.json()["errors"]
    data["payload"]["body"]["params"] = ["Asha", " "]
    res = api_client.post("/api/v2/whatsapp/templates", data, format="json")
    assert res.json()["errors"]["payload.body.params.1"] == ["The sample value of {{day}} is required."]


def test_header_samples_go_to_meta(account, business_number):
    data = meta_template_data()
    data["payload"]["header"]["params"] = ["1042"]
    template = message_templates.create(account=account, data=data, submit_to_provider=False)
    header = cloud_api.template_request(template)["components"][0]
    assert header["example"] == {"header_text": ["1042"]}


def test_a_copy_of_a_template_starts_filled_and_another_accounts_is_unknown(
    user_client, account, business_number, other_account
):
    template = message_templates.create(account=account, data=meta_template_data(), submit_to_provider=False)
    html = user_client.get(reverse(NEW) + f"?from={template.uuid}").content.decode()
    assert 'value="order_update_2"' in html  # a new name: the original keeps its own
    assert 'type="hidden" name="body" value="Hi {{name}}, your order ships {{day}}."' in html
    assert 'type="hidden" name="sample_name" value="Asha"' in html
    WhatsappTemplate.objects.filter(pk=template.pk).update(account=other_account)
    assert "order_update_2" not in user_client.get(reverse(NEW) + f"?from={template.uuid}").content.decode()
    assert user_client.get(reverse(NEW) + "?from=not-a-uuid").status_code == 200
