"""Senders and SMS templates follow the brand's catalogue (sms.md): brand A asks for India's DLT
fields (entity id and name, DLT template id) and a template's type on create; brand B has no
DLT fields, `type` is optional on create and required on edit. Forms, API and services agree, and
follow the switch staff set on the brand's form (`Brand.dlt_fields`)."""

import re

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


# Staff choose the switch on the brand's form (/staff/brands/<id>/).


@pytest.fixture
def staff_client(client):
    from accounts.models import User

    client.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))
    return client


def _brand_form(brand, **changes):
    """The staff form as the brand's page fills it, with `changes`."""
    from accounts.brands.forms import StaffBrandForm

    return {**StaffBrandForm.initial_for(brand), **changes}


def test_the_staff_form_shows_the_brands_choice(staff_client, brand_a, brand_b):
    page_a = staff_client.get(f"/staff/brands/{brand_a.pk}/").content.decode()
    page_b = staff_client.get(f"/staff/brands/{brand_b.pk}/").content.decode()
    assert "Sender and template fields" in page_a and "India&#x27;s DLT rules" in page_a
    checked = re.compile(r'<input type="radio" name="dlt_fields" value="(\d)"[^>]*\bchecked\b')
    assert checked.findall(page_a) == ["1"] and checked.findall(page_b) == ["0"]


def test_staff_give_brand_b_dlt_fields_and_its_sender_form_asks_for_the_entity(
    staff_client, client, brand_b, customer_b
):
    from accounts.models import AuditEvent

    account, owner = customer_b
    assert "entity_id" not in SenderForm(account=account).fields
    res = staff_client.post(f"/staff/brands/{brand_b.pk}/", _brand_form(brand_b, dlt_fields="1"))
    assert res.status_code == 302, res.content
    brand_b.refresh_from_db()
    assert brand_b.dlt_fields is True and brand_b.product_codes  # the rest of the brand as it was
    event = AuditEvent.objects.filter(action="brand.updated", target=brand_b.slug).latest("id")
    assert event.metadata["changed"] == "dlt_fields"
    assert {"entity_id", "entity_name"} <= set(SenderForm(account=account).fields)
    assert "template_id" in TemplateForm(account=account).fields
    client.force_login(owner)
    page = client.get("/sms/senders/new/", HTTP_HOST=HOST_B).content.decode()
    assert 'name="entity_id"' in page and 'name="entity_name"' in page


def test_staff_take_brand_as_dlt_fields_away_and_indian_senders_need_no_entity(staff_client, brand_a, customer_a):
    account, _ = customer_a
    res = staff_client.post(f"/staff/brands/{brand_a.pk}/", _brand_form(brand_a, dlt_fields="0"))
    assert res.status_code == 302, res.content
    brand_a.refresh_from_db()
    assert brand_a.dlt_fields is False
    assert "entity_id" not in SenderForm(account=account).fields
    assert "template_id" not in TemplateForm(account=account).fields
    created = api_client_for(account, HOST_A).post(
        "/api/v2/sms/senders", {"name": "SHOPXY", "country_code": "IN", "service": "T", "entity_id": "1" * 13}
    )
    assert created.status_code == 200, created.content
    assert created.json()["data"]["entity_id"] == ""  # sent anyway: not taken under this brand


@pytest.mark.parametrize("value", ["2", "yes", None])
def test_a_missing_or_unknown_choice_is_a_field_error_and_nothing_changes(staff_client, brand_a, value):
    data = _brand_form(brand_a, dlt_fields=value)
    if value is None:
        del data["dlt_fields"]  # a form posted without the field does not switch the rules off
    res = staff_client.post(f"/staff/brands/{brand_a.pk}/", data)
    assert res.status_code == 422
    text = res.content.decode()
    assert "This field is required." in text if value is None else "Select a valid choice." in text
    brand_a.refresh_from_db()
    assert brand_a.dlt_fields is True


def test_customers_cannot_change_the_switch(client, customer_a, brand_a):
    client.force_login(customer_a[1])
    res = client.post(f"/staff/brands/{brand_a.pk}/", _brand_form(brand_a, dlt_fields="0"))
    assert res.status_code == 403
    brand_a.refresh_from_db()
    assert brand_a.dlt_fields is True
