"""The API's input rules (portal/api/parsers.py, V2APIView, portal/core/text.py): NUL and unpaired
surrogates are a 422 naming the field wherever they travel, bodies over the limit a 413, JSON
nested too deep a 400, all in the envelope and before anything is written."""

import io
import json

import hypothesis
import pytest
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from contacts.models import Contact, Tag
from messaging.channels.sms.api.views import SendJsonView
from portal.api.parsers import JSONParser
from portal.core import text
from tests.api.helpers import assert_unauthenticated

TAGS = "/api/v2/contacts/tags"


def post_json(client, path, raw):
    return client.post(path, raw if isinstance(raw, str | bytes) else json.dumps(raw), content_type="application/json")


def refused(res, errors):
    assert res.status_code == 422, res.content
    body = res.json()
    assert body == {"status": "failed", "code": 422, "message": next(iter(errors.values()))[0], "errors": errors}


# NUL and unpaired surrogates


def test_nul_anywhere_in_a_json_body_is_a_422_naming_each_field(api_client):
    res = post_json(
        api_client,
        "/api/v2/contacts",
        {
            "identity": "c-1",
            "first_name": "a\x00b",
            "attributes": {"plan": "x\x00", "k\x00": "v"},
            "tags": ["ok", "\x00"],
        },
    )
    refused(
        res,
        {
            "attributes": ["The attributes may not contain NUL characters."],
            "attributes.plan": ["The attributes.plan may not contain NUL characters."],
            "first_name": ["The first name may not contain NUL characters."],
            "tags.1": ["The tags.1 may not contain NUL characters."],
        },
    )
    assert not Contact.objects.exists() and not Tag.objects.exists()


def test_an_unpaired_surrogate_is_refused_and_a_pair_is_text(api_client):
    res = post_json(api_client, TAGS, '{"name": "VIP \\ud800"}')
    refused(res, {"name": ["The name may not contain unpaired surrogate characters."]})
    assert not Tag.objects.exists()
    res = post_json(api_client, TAGS, '{"name": "VIP \\ud83d\\ude00"}')
    assert res.status_code == 200 and Tag.objects.get().name == "VIP \U0001f600"


def test_a_nul_key_is_reported_on_its_container_and_never_echoed(api_client):
    res = post_json(api_client, TAGS, '{"name\\u0000": "x"}')
    refused(res, {"body": ["The body may not contain NUL characters."]})


@pytest.mark.parametrize("fmt", ["form", "multipart"])
def test_nul_in_form_and_multipart_bodies_is_a_422(api_client, fmt):
    if fmt == "form":
        res = api_client.post(TAGS, "name=a%00b", content_type="application/x-www-form-urlencoded")
    else:
        res = api_client.post(TAGS, {"name": "a\x00b"}, format="multipart")
    refused(res, {"name": ["The name may not contain NUL characters."]})
    assert not Tag.objects.exists()


def test_nul_in_the_query_string_is_a_422_on_that_parameter(api_client):
    refused(api_client.get("/api/v2/sms/status?cid=a%00b"), {"cid": ["The cid may not contain NUL characters."]})
    res = api_client.get("/api/v2/contacts?filter%5Bq%5D=%00")
    refused(res, {"filter[q]": ["The filter[q] may not contain NUL characters."]})
    res = api_client.get("/api/v2/contacts?a%00=1")
    refused(res, {"parameter": ["The parameter name may not contain NUL characters."]})


def test_the_query_rule_runs_after_authentication(client):
    assert_unauthenticated(client.get("/api/v2/sms/status?cid=a%00b"))


def test_engage_answers_the_rule_in_its_own_shape(api_client):
    res = post_json(api_client, "/v1/messaging/sms", {"type": "transactional", "from": "X\x00", "to": "1", "msg": "m"})
    assert res.status_code == 422
    assert res.json() == {
        "status": 0,
        "message": "Validation Error.",
        "data": [{"msg": "The from may not contain NUL characters.", "param": "from", "location": "body"}],
    }


# Nesting


@pytest.mark.parametrize("depth", [33, 200, 5000, 100_000])
def test_json_nested_too_deep_is_a_400(api_client, depth):
    res = post_json(api_client, TAGS, "[" * depth + "]" * depth)
    assert res.status_code == 400
    assert res.json() == {
        "status": "failed",
        "code": 400,
        "message": "JSON parse error - The body is nested more than 32 levels deep.",
    }


def test_depth_is_bounded_at_32_levels():
    nested = []
    for _ in range(31):
        nested = [nested]
    text.check_depth(nested)  # 32 levels
    with pytest.raises(text.TooDeep):
        text.check_depth({"a": [nested]})


# Size


def test_a_json_or_form_body_over_the_limit_is_a_413_before_it_is_read(api_client, settings):
    settings.API_MAX_BODY_BYTES = 4096
    expected = {"status": "failed", "code": 413, "message": "The request body may not be greater than 4,096 bytes."}
    res = post_json(api_client, TAGS, {"name": "x" * 5000})
    assert res.status_code == 413 and res.json() == expected
    res = api_client.post(TAGS, "name=" + "x" * 5000, content_type="application/x-www-form-urlencoded")
    assert res.status_code == 413 and res.json() == expected
    assert not Tag.objects.exists()


def test_the_default_limit_is_named_in_megabytes(api_client):
    res = post_json(api_client, TAGS, {"name": "x" * (4 * 1024 * 1024)})
    assert res.status_code == 413
    assert res.json()["message"] == "The request body may not be greater than 4 MB."


def test_multipart_bodies_over_the_upload_limit_and_too_many_fields_are_413s(api_client, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    upload = io.BytesIO(b"4474001234\n" * 2000)
    upload.name = "numbers.csv"
    res = api_client.post("/api/v2/sms/suppressions/unsubscribers/import", {"file": upload}, format="multipart")
    assert res.status_code == 413
    assert res.json() == {
        "status": "failed",
        "code": 413,
        "message": "The request body may not be greater than 10,000 bytes.",
    }
    settings.MAX_UPLOAD_BYTES = 101 * 1024 * 1024
    res = api_client.post(
        TAGS, "&".join(f"f{i}=1" for i in range(1001)), content_type="application/x-www-form-urlencoded"
    )
    assert res.status_code == 413
    assert res.json()["message"] == "The request may not have more than 1,000 fields."
    res = api_client.post(TAGS, {f"f{i}": "1" for i in range(1001)}, format="multipart")
    assert res.status_code == 413 and res.json()["message"] == "The request may not have more than 1,000 fields."


def test_multipart_fields_over_the_body_limit_are_a_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    res = api_client.post(TAGS, {"name": "x" * 5000}, format="multipart")
    assert res.status_code == 413
    assert res.json()["message"] == "The request fields may not be greater than 4,096 bytes in total."


def _filled_send_json(nodes):
    """A send/json body with every field of root and of each node filled (docs/api.md)."""
    root = {
        "sender": "DEMORT",
        "service": "T",
        "message": "Dear customer, your order has shipped.",
        "type": "N",
        "flash": "0",
        "webhook_id": "8c3f0c7e-54a4-4f6c-9a44-6b0f4f1d2a11",
        "time": "",
        "entity_id": "1201159142412345678",
        "template_id": "1207161234567890123",
        "max_units": 3,
        "port": "5000",
        "custom": "campaign-2026-12",
        "name": "December campaign",
        "dlr_url": "https://crm.example.com/sms/dlr?campaign=2026-12",
    }
    text_160 = (
        "Dear Customer, your order of Rs 1,234.00 has shipped and arrives Tue. Track: "
        "https://shop.example.com/t/ABCDEF12 - Demo Retail " * 3
    )[:160]
    rows = [
        {
            "to": f"9198{i:08d}",
            "sender": "DEMORT",
            "message": text_160,
            "type": "N",
            "flash": "0",
            "custom": f"order-{i:012d}-9f8e7d6c",
            "port": "5000",
            "template_id": "1207161234567890123",
            "entity_id": "1201159142412345678",
            "max_units": 3,
            "dlr_url": f"https://crm.example.com/sms/dlr?order={i:012d}",
        }
        for i in range(nodes)
    ]
    return json.dumps({"root": root, "nodes": rows}).encode()


def test_send_json_carries_100000_filled_nodes_far_past_the_general_limit(settings):
    raw = _filled_send_json(100_000)
    assert settings.API_MAX_BODY_BYTES < len(raw) < settings.SEND_JSON_MAX_BODY_BYTES / 3
    request = RequestFactory().post("/api/v2/sms/send/json", raw, content_type="application/json")
    context = {"request": request, "view": SendJsonView(), "encoding": "utf-8"}
    data = JSONParser().parse(io.BytesIO(raw), "application/json", context)
    assert len(data["nodes"]) == 100_000 and data["nodes"][-1]["to"] == "919800099999"


def test_send_json_has_its_own_limit(api_client, settings):
    settings.API_MAX_BODY_BYTES = 4096
    raw = _filled_send_json(40)
    res = api_client.post("/api/v2/sms/send/json", raw, content_type="application/json")
    assert res.status_code == 200  # read and answered (the sender is not the account's: refused items)
    settings.SEND_JSON_MAX_BODY_BYTES = 8192
    res = api_client.post("/api/v2/sms/send/json", raw, content_type="application/json")
    assert res.status_code == 413
    assert res.json()["message"] == "The request body may not be greater than 8,192 bytes."


# Strings full of what the text reading must not mistake for structure: quotes, backslashes, brackets.
tricky_text = st.text(alphabet='ab[]{}"\\\n\u00e9\u2713', max_size=6)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=25,
)


@hypothesis.settings(max_examples=400, deadline=None)
@given(value=json_values, max_depth=st.integers(min_value=1, max_value=5), ascii_only=st.booleans())
def test_the_depth_read_off_the_json_text_is_the_depth_of_the_data(value, max_depth, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    try:
        text.check_depth(value, max_depth)
    except text.TooDeep:
        with pytest.raises(text.TooDeep):
            text.check_json_depth(raw, max_depth)
    else:
        text.check_json_depth(raw, max_depth)
