"""Contract tests: /api/v2/sms/templates."""

import pytest

from messaging.senders.models import Template

URL = "/api/v2/sms/templates"
FIELDS = {
    "id",
    "sender_id",
    "template_id",
    "template_type",
    "sender",
    "name",
    "alias",
    "body",
    "content",
    "body_length",
    "match_count",
    "percentage",
    "is_complete",
    "is_english",
    "status",
    "message",
    "created_at",
    "updated_at",
}


def payload(approved, **over):
    return {
        "sender": approved.name,
        "name": "Order shipped",
        "type": "T",
        "template_id": "1107161521283358999",
        "body": "Your order {{id}} has shipped via {#var#}.",
        **over,
    }


def test_create_normalises_dlt_variables(api_client, approved_sender):
    res = api_client.post(URL, payload(approved_sender), format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Template Saved Successfully"
    data = body["data"]
    assert set(data) == FIELDS
    assert data["body"] == "Your order {{id}} has shipped via {{var1}}."
    assert data["template_type"] == "Transactional" and data["alias"] == "order-shipped"
    assert data["sender"] == approved_sender.name and data["sender_id"] == str(approved_sender.uuid)
    assert data["status"] == 0 and data["is_english"] == 1 and data["body_length"] == len(data["body"])


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"sender": ""}, "sender", "The sender field is required."),
        ({"sender": "NOSUCH"}, "sender", "The selected sender is invalid."),
        ({"type": ""}, "type", "The type field is required."),
        ({"type": "X"}, "type", "The selected type is invalid (T, P, SI or SE)."),
        ({"template_id": ""}, "template_id", "The template id field is required for Indian DLT templates."),
        ({"template_id": "12ab"}, "template_id", "The template id must be the 19 digits of the DLT template id."),
        ({"template_id": "123"}, "template_id", "The template id must be the 19 digits of the DLT template id."),
        ({"template_id": "1" * 20}, "template_id", "The template id must be the 19 digits of the DLT template id."),
        ({"body": "Hi  {{a}} there"}, "body", "The template must not contain two consecutive spaces."),
        (
            {"body": "Order shipped today", "type": "T"},
            "body",
            "Transactional and service templates must contain at least one variable.",
        ),
        ({"name": ""}, "name", "The name field is required."),
    ],
)
def test_create_validation(api_client, approved_sender, over, field, message):
    res = api_client.post(URL, payload(approved_sender, **over), format="json")
    assert res.status_code == 422
    assert message in res.json()["errors"][field]


def test_a_pending_sender_cannot_carry_templates(api_client, sender):
    res = api_client.post(URL, payload(sender), format="json")
    assert res.json()["errors"]["sender"] == ["The sender must be approved before templates can use it."]


def test_a_dlt_id_is_unique_per_account(api_client, template):
    res = api_client.post(URL, payload(template.sender, template_id=template.template_id), format="json")
    assert res.json()["errors"]["template_id"] == ["The template id has already been taken."]


def test_list_show_edit_delete(api_client, template):
    body = api_client.get(URL).json()
    assert body["message"] == "Templates List" and body["meta"]["per_page"] == 15 and len(body["data"]) == 1
    assert api_client.get(URL, {"filter[name]": template.template_id}).json()["meta"]["total"] == 1
    assert api_client.get(URL, {"filter[name]": "nothing"}).json()["meta"]["total"] == 0
    url = f"{URL}/{template.uuid}"
    assert api_client.get(url).json()["message"] == "Template Data"
    res = api_client.put(url, {"body": "Dear {{name}}, your code is {{otp}} now"}, format="json")
    assert res.json()["message"] == "Template Updated Successfully"
    assert res.json()["data"]["body"] == "Dear {{name}}, your code is {{otp}} now"
    res = api_client.delete(url)
    assert res.json() == {"status": "OK", "code": 200, "message": "Template deleted successfully", "data": 1}
    assert not Template.objects.filter(pk=template.pk).exists()


def test_another_accounts_template_is_404(api_client, template, other_account):
    from rest_framework.test import APIClient

    from tests.factories import make_key

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(other_account)[1]}")
    url = f"{URL}/{template.uuid}"
    assert other.get(url).status_code == 404
    assert other.put(url, {"name": "x"}, format="json").status_code == 404
    assert other.delete(url).status_code == 404
    assert other.get(URL).json()["data"] == []
    assert Template.objects.filter(pk=template.pk).exists()
