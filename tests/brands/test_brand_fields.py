"""Senders and SMS templates follow the brand's catalogue (sms.md): brand A asks for India's DLT
fields (entity id and name, DLT template id) and a template's type on create; brand B has no
DLT fields, `type` is optional on create and required on edit. Forms, API and services agree."""

import pytest

from accounts.brands import resolve
from messaging.review import services as review
from messaging.senders import services as senders
from messaging.senders.forms import SenderForm, TemplateForm
from portal.core.errors import ValidationFailed
from tests.brands.conftest import HOST_A, HOST_B, api_client_for

pytestmark = pytest.mark.django_db

BODY = "Your login code is {{code}}. It expires in 10 minutes."


@pytest.fixture(autouse=True)
def _fresh():
    resolve.forget()


def _approved_sender(account, **data):
    sender = senders.create_sender(account=account, data=data)
    review.approve(item=sender)
    sender.refresh_from_db()
    return sender


def test_brand_b_senders_take_no_dlt_entity(customer_b):
    account, _ = customer_b
    client = api_client_for(account, HOST_B)
    res = client.post(
        "/api/v2/sms/senders",
        {"name": "SHOPXY", "country_code": "IN", "service": "ENT", "entity_id": "1234567890123", "entity_name": "X"},
    )
    assert res.status_code == 200, res.content
    sender = senders.find_sender(account, res.json()["data"]["id"])
    assert (sender.entity_id, sender.entity_name) == ("", "")
    form = SenderForm(account=account)
    assert "entity_id" not in form.fields and "entity_name" not in form.fields


def test_brand_a_indian_senders_need_their_dlt_entity(customer_a):
    account, _ = customer_a
    res = api_client_for(account, HOST_A).post(
        "/api/v2/sms/senders", {"name": "SHOPXY", "country_code": "IN", "service": "T"}
    )
    assert res.status_code == 422 and "entity_id" in res.json()["errors"]
    assert "entity_id" in SenderForm(account=account).fields


def test_brand_b_templates_type_optional_on_create_required_on_edit(customer_b):
    account, _ = customer_b
    sender = _approved_sender(account, name="SHOPXY", country_code="BE", service="ENT")
    template = senders.create_template(
        account=account, data={"sender": str(sender.uuid), "name": "Login", "body": BODY, "template_id": "1" * 19}
    )
    assert template.type == "T" and template.template_id == ""
    with pytest.raises(ValidationFailed) as refused:
        senders.update_template(template=template, data={"name": "Login code"})
    assert "type" in refused.value.errors
    edited = senders.update_template(template=template, data={"name": "Login code", "type": "SE"})
    assert edited.type == "SE"
    assert "template_id" not in TemplateForm(account=account).fields


def test_brand_a_templates_need_a_type_on_create(customer_a):
    account, _ = customer_a
    sender = _approved_sender(account, name="SHOPXY", country_code="BE", service="T")
    with pytest.raises(ValidationFailed) as refused:
        senders.create_template(account=account, data={"sender": str(sender.uuid), "name": "Login", "body": BODY})
    assert "type" in refused.value.errors
    assert "template_id" in TemplateForm(account=account).fields
