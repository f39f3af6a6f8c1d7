"""Segment pages: list, rule builder (rows, live count), create/edit, detail with members."""

import json

import pytest
from django.urls import reverse

from contacts.models import Segment
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def people(account):
    make = contact_services.create_contact
    return [
        make(account=account, data={"identity": "asha", "phone": "+919876543210", "city": "Pune", "tags": ["vip"]}),
        make(account=account, data={"identity": "tom", "phone": "+447400123456", "city": "Leeds", "tags": ["vip"]}),
        make(account=account, data={"identity": "bo", "phone": "+919876543211", "city": "Pune"}),
    ]


def rule_body(*rules, match="all", **extra):
    data = {
        "name": "Pune VIPs",
        "type": "dynamic",
        "match": match,
        "rule_field": [],
        "rule_key": [],
        "rule_op": [],
        "rule_value": [],
    }
    for field, op, value, *key in rules:
        data["rule_field"].append(field)
        data["rule_op"].append(op)
        data["rule_value"].append(value)
        data["rule_key"].append(key[0] if key else "")
    data.update(extra)
    return data


def test_empty_state(user_client):
    assert "No segments yet." in user_client.get(reverse("contacts:segment_list")).content.decode()


def test_the_live_count_follows_the_rules(user_client, people):
    url = reverse("contacts:segment_count")
    html = user_client.post(url, rule_body(("tags", "any", "vip")), **HTMX).content.decode()
    assert "<strong data-segment-count>2</strong>" in html and "67% of 3" in html
    html = user_client.post(url, rule_body(("tags", "any", "vip"), ("city", "eq", "Pune")), **HTMX).content.decode()
    assert "<strong data-segment-count>1</strong>" in html
    html = user_client.post(url, rule_body(("tags", "any", "vip"), ("city", "eq", "Pune"), match="any"), **HTMX)
    assert "<strong data-segment-count>3</strong>" in html.content.decode()


def test_the_live_count_explains_incomplete_rules(user_client, people):
    html = user_client.post(reverse("contacts:segment_count"), rule_body(("city", "eq", "")), **HTMX).content.decode()
    assert "Finish the rules" in html and "Rule 1: The value is required." in html
    html = user_client.post(reverse("contacts:segment_count"), rule_body(("tags", "any", "nope")), **HTMX)
    assert "The tag &quot;nope&quot; does not exist." in html.content.decode()


def test_the_live_count_never_counts_another_accounts_contacts(user_client, other_account):
    contact_services.create_contact(account=other_account, data={"identity": "x", "phone": "+919876543210"})
    html = user_client.post(reverse("contacts:segment_count"), rule_body(), **HTMX).content.decode()
    assert "<strong data-segment-count>0</strong>" in html


def test_rule_rows_are_added_and_follow_their_field(user_client):
    url = reverse("contacts:segment_rule_row")
    res = user_client.get(url, **HTMX)
    html = res.content.decode()
    assert html.startswith('<div class="rule-row" data-kind="tags"') and res["HX-Trigger"] == "rules-changed"
    assert '<option value="any" selected>has any of</option>' in html
    html = user_client.get(url, {"rule_field": "birth_date", "rule_op": "any"}, **HTMX).content.decode()
    assert 'data-kind="date"' in html and 'type="date"' in html and ">is before<" in html
    html = user_client.get(url, {"rule_field": "attributes", "rule_key": "plan"}, **HTMX).content.decode()
    assert 'name="rule_key" value="plan"' in html and " hidden" not in html.split('name="rule_key"')[1].split(">")[0]
    html = user_client.get(url, {"rule_field": "subscription.sms"}, **HTMX).content.decode()
    assert 'name="rule_value" value="" aria-label="Value" placeholder="value" hidden' in html
    res = user_client.get(reverse("contacts:segment_rule_remove"), **HTMX)
    assert res.content == b"" and res["HX-Trigger"] == "rules-changed"


def test_create_a_dynamic_segment(user_client, account, people):
    assert "Live count" in user_client.get(reverse("contacts:segment_create")).content.decode()
    body = rule_body(
        ("tags", "any", "vip"), ("attributes", "not_exists", "", "plan"), positive_tags="", negative_tags=""
    )
    res = user_client.post(reverse("contacts:segment_create"), body)
    segment = Segment.objects.get(account=account)
    assert res.status_code == 302 and res["Location"] == reverse("contacts:segment_detail", args=[segment.pk])
    assert segment.member_count == 2
    assert segment.rules["conditions"][1] == {"field": "attributes.plan", "op": "not_exists"}
    html = user_client.get(res["Location"]).content.decode()
    assert "asha" in html and "tom" in html and ">bo<" not in html and "Send SMS to this segment" in html


def test_create_refuses_bad_rules_and_keeps_the_rows(user_client):
    res = user_client.post(reverse("contacts:segment_create"), rule_body(("city", "eq", ""), name=""))
    html = res.content.decode()
    assert res.status_code == 422 and "The name field is required." in html and "Rule 1: The value is required." in html
    assert 'name="rule_field"' in html and not Segment.objects.exists()


def test_edit_keeps_nested_groups(user_client, account, people):
    nested = {"match": "any", "conditions": [{"field": "city", "op": "eq", "value": "Leeds"}]}
    segment = segment_services.create_segment(
        account=account,
        data={
            "name": "Mixed",
            "rules": {"match": "all", "conditions": [{"field": "tags", "op": "any", "value": ["vip"]}, nested]},
        },
    )
    page = user_client.get(reverse("contacts:segment_edit", args=[segment.pk])).content.decode()
    assert 'value="vip"' in page and "nested rule groups" in page
    body = rule_body(("tags", "any", "vip"), name="Mixed 2", nested_rules=json.dumps([nested]), type="dynamic")
    res = user_client.post(reverse("contacts:segment_edit", args=[segment.pk]), body)
    assert res.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "Mixed 2" and segment.member_count == 1
    assert segment.rules["conditions"][1]["conditions"][0]["value"] == "Leeds"


def test_static_segment_members_can_be_removed(user_client, account, people):
    segment = segment_services.create_segment(
        account=account, data={"name": "Hand picked", "type": "static", "members": [people[0].pk, people[1].pk]}
    )
    html = user_client.get(reverse("contacts:segment_detail", args=[segment.pk])).content.decode()
    assert "asha" in html and "tom" in html
    user_client.post(reverse("contacts:segment_member_remove", args=[segment.pk, people[0].pk]))
    assert list(segment_services.segment_contacts(segment).values_list("identity", flat=True)) == ["tom"]


def test_members_paginate_as_a_fragment(user_client, account, people):
    segment = segment_services.create_segment(account=account, data={"name": "All"})
    html = user_client.get(reverse("contacts:segment_detail", args=[segment.pk]), **HTMX).content.decode()
    assert html.startswith('<div id="segment-members"') and "asha" in html


def test_list_and_delete(user_client, account, people):
    segment = segment_services.create_segment(account=account, data={"name": "VIPs", "positive_tags": ["vip"]})
    html = user_client.get(reverse("contacts:segment_list"), {"q": "VIP"}, **HTMX).content.decode()
    assert html.startswith('<div id="segment-table"') and "VIPs" in html and f"?segment={segment.pk}" in html
    assert user_client.post(reverse("contacts:segment_delete", args=[segment.pk])).status_code == 302
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [("segment_detail", "get"), ("segment_edit", "get"), ("segment_edit", "post"), ("segment_delete", "post")],
)
def test_another_accounts_segment_is_404(user_client, other_account, name, method):
    segment = segment_services.create_segment(account=other_account, data={"name": "Theirs"})
    assert getattr(user_client, method)(reverse(f"contacts:{name}", args=[segment.pk])).status_code == 404
    assert Segment.objects.filter(pk=segment.pk, name="Theirs").exists()


def test_the_count_of_another_accounts_static_segment_is_404(user_client, other_account):
    segment = segment_services.create_segment(account=other_account, data={"name": "Theirs", "type": "static"})
    res = user_client.post(reverse("contacts:segment_count"), {"type": "static", "segment": segment.pk})
    assert res.status_code == 404
