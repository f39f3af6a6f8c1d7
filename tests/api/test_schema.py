"""The generated OpenAPI schema and the docs page (served without any CDN)."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ACCOUNT_PATHS = {
    "/api/v2/auth/me": "get",
    "/api/v2/finance/balance": "get",
    "/api/v2/finance/credits": "post",
    "/api/v3/auth/token/generate": "get",
    "/api/v3/auth/token/refresh": "get",
}


@pytest.fixture
def schema(client, db):
    res = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert res.status_code == 200
    return res.json()


def ref(schema, node):
    """Follow `$ref`s to the component they name."""
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def body_of(schema, path, method, code):
    return schema["paths"][path][method]["responses"][str(code)]["content"]["application/json"]


def test_the_schema_lists_the_account_endpoints(schema):
    for path, method in ACCOUNT_PATHS.items():
        assert method in schema["paths"][path], path
        assert schema["paths"][path][method]["security"] == [{"bearerAuth": []}]
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "API key (or a bearer token from /api/v3/auth/token/generate). "
        "Also accepted as the `access_token` query parameter.",
    }


def test_the_schema_is_public_and_needs_no_key(client, db):
    assert client.get("/api/schema/").status_code == 200


def test_operations_are_tagged_by_resource(schema):
    assert schema["paths"]["/api/v2/auth/me"]["get"]["tags"] == ["auth"]
    assert schema["paths"]["/api/v2/finance/balance"]["get"]["tags"] == ["finance"]
    assert schema["paths"]["/api/v3/auth/token/generate"]["get"]["tags"] == ["auth"]


def test_success_bodies_describe_the_envelope(schema):
    me = ref(schema, body_of(schema, "/api/v2/auth/me", "get", 200)["schema"])
    assert set(me["required"]) == {"status", "code", "message", "data"}
    data = ref(schema, me["properties"]["data"])
    assert {
        "id",
        "name",
        "username",
        "email",
        "mobile",
        "is_reseller",
        "parent",
        "services",
        "rate_limit",
        "token",
    } <= set(data["properties"])

    balance = ref(schema, body_of(schema, "/api/v2/finance/balance", "get", 200)["schema"])
    item = ref(schema, balance["properties"]["data"]["items"])
    assert set(item["properties"]) == {"service", "name", "postpaid", "credits", "charges"}

    added = ref(schema, body_of(schema, "/api/v2/finance/credits", "post", 200)["schema"])
    assert set(added["properties"]) == {"status", "message"}  # no code, no data, as the catalog shows

    token = ref(schema, body_of(schema, "/api/v3/auth/token/generate", "get", 200)["schema"])
    assert set(token["properties"]) == {"access_token", "token_type", "expires_in"}


def test_examples_match_the_catalog(schema):
    added = body_of(schema, "/api/v2/finance/credits", "post", 200)["examples"]
    assert [e["value"] for e in added.values()] == [{"status": "OK", "message": "Balance added Successfully"}]
    token = body_of(schema, "/api/v3/auth/token/refresh", "get", 200)["examples"]
    value = next(iter(token.values()))["value"]
    assert value["token_type"] == "bearer" and value["expires_in"] == 3600
    balance = next(iter(body_of(schema, "/api/v2/finance/balance", "get", 200)["examples"].values()))["value"]
    assert balance["status"] == "OK" and balance["code"] == 200 and isinstance(balance["data"], list)
    request = schema["paths"]["/api/v2/finance/credits"]["post"]["requestBody"]
    assert set(request["content"]["application/json"]["schema"]["$ref"].split("/")[-1:]) == {"AddCredits"}
    add_credits = ref(schema, request["content"]["application/json"]["schema"])
    assert set(add_credits["required"]) == {"username", "credits"}


def test_errors_are_described_with_their_messages(schema):
    def messages(path, method, code):
        return {e["value"]["message"] for e in body_of(schema, path, method, code)["examples"].values()}

    assert messages("/api/v2/auth/me", "get", 401) == {"Unauthenticated."}
    assert messages("/api/v2/auth/me", "get", 429) == {"Too Many Attempts."}
    assert "Access from this IP address is not allowed for this token." in messages("/api/v2/auth/me", "get", 403)
    assert messages("/api/v2/finance/credits", "post", 403) >= {
        "Only reseller accounts can add credits to customers.",
        "This customer does not belong to your account.",
    }
    assert "Insufficient credits." in messages("/api/v2/finance/credits", "post", 422)
    error = ref(schema, body_of(schema, "/api/v2/finance/credits", "post", 422)["schema"])
    assert set(error["properties"]) == {"status", "code", "message", "errors"}


def test_rate_limit_headers_are_documented(schema):
    responses = schema["paths"]["/api/v2/finance/balance"]["get"]["responses"]
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(responses["200"]["headers"])
    assert "Retry-After" in responses["429"]["headers"]
    assert "headers" not in responses["401"]  # refused before the throttle runs


def test_the_docs_page_loads_nothing_from_outside(client, db):
    res = client.get("/api/docs/")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("text/html")
    html = res.content.decode()
    assert "redoc" in html.lower() and "/api/schema/" in html
    assert "https://cdn" not in html and "http://cdn" not in html
    scripts = re.findall(r"""<script[^>]*\bsrc=["']([^"']+)""", html)
    assert scripts and all(not re.match(r"(?:https?:)?//", src) for src in scripts)
    external = re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']+)""", html)
    assert external == []
    for src in scripts:  # shipped with an installed package, served by the portal itself
        assert finders.find(src.removeprefix(settings.STATIC_URL)), src


def test_the_docs_page_forbids_outside_requests(client, db):
    # Redoc's footer points at an image on the vendor's CDN; the policy stops the browser fetching it.
    policy = dict(part.strip().split(" ", 1) for part in client.get("/api/docs/")["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["img-src"] == "'self' data:" and policy["connect-src"] == "'self'"
    assert all("http" not in sources for sources in policy.values())


def test_the_docs_and_schema_pages_are_not_operations(schema):
    assert "/api/docs/" not in schema["paths"] and "/api/schema/" not in schema["paths"]


# Every operation declares what it takes and what it answers (schemathesis checks the answers
# against these; tests/api/test_schemathesis.py).

OPERATIONS = ("get", "post", "put", "patch", "delete")
# Writes that read no body: the opt-out switches act on the path alone.
NO_BODY = {
    ("post", "/api/v2/contacts/{id}/unsubscribe"),
    ("post", "/api/v2/contacts/{id}/unsubscribe/{sid}"),
    ("post", "/api/v2/contacts/{id}/resubscribe"),
    ("post", "/api/v2/contacts/{id}/resubscribe/{sid}"),
}


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield method, path, operation


def test_every_write_declares_its_body(schema):
    missing = [
        (method, path)
        for method, path, operation in operations(schema)
        if method in ("post", "put", "patch") and "requestBody" not in operation and (method, path) not in NO_BODY
    ]
    assert missing == []
    for method, path in NO_BODY:
        assert "requestBody" not in schema["paths"][path][method]


def test_every_answer_has_a_described_body(schema):
    vague = []
    for method, path, operation in operations(schema):
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        body = ref(schema, ok)
        if "properties" not in body:
            vague.append((method, path))
    assert vague == []


def test_the_conventions_answers_are_declared_on_every_operation_of_their_kind(schema):
    for method, path, operation in operations(schema):
        codes = set(operation["responses"])
        assert {"200", "401", "403", "422", "429"} <= codes, (method, path)  # 422: a NUL in any query parameter
        assert ("404" in codes) == ("{" in path), (method, path)
        has_body = "requestBody" in operation
        assert ({"400", "413"} <= codes) == has_body, (method, path)
        takes_key = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        assert ("409" in codes) >= takes_key, (method, path)


def test_operation_ids_are_unique(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(ids) == len(set(ids))
    assert schema["paths"]["/api/v2/sms/senders"]["get"]["operationId"] == "api_v2_sms_senders_list"
    assert schema["paths"]["/api/v2/sms/senders/{id}"]["get"]["operationId"] == "api_v2_sms_senders_retrieve"
    assert schema["paths"]["/api/v2/sms/suppressions/unsubscribers"]["delete"]["operationId"].endswith("_clean")


def test_lists_declare_pages_and_their_filters(schema):
    params = {p["name"] for p in schema["paths"]["/api/v2/sms/senders"]["get"]["parameters"]}
    assert {"page", "per_page", "filter[name]", "filter[status]", "filter[service]", "filter[iso]"} <= params
    status = next(
        p for p in schema["paths"]["/api/v2/sms/senders"]["get"]["parameters"] if p["name"] == "filter[status]"
    )
    assert status["schema"]["enum"] == ["0", "1", "2"]


def test_the_sends_declare_their_bodies_and_the_idempotency_key(schema):
    send = schema["paths"]["/api/v2/sms/send"]["post"]
    assert set(send["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    body = ref(schema, send["requestBody"]["content"]["application/json"]["schema"])
    assert {"sender", "to", "message", "service"} <= set(body["required"])
    assert body["properties"]["to"]["oneOf"][1]["type"] == "array"
    legacy = {p["name"]: p for p in schema["paths"]["/api/v2/sms/send"]["get"]["parameters"]}
    assert all(legacy[name]["required"] for name in ("sender", "to", "message", "service"))
    for path in ("/api/v2/sms/send", "/api/v2/sms/send/json", "/api/v2/sms/send/template", "/api/v2/sms/message/send"):
        operation = schema["paths"][path]["post"]
        assert "Idempotency-Key" in {p["name"] for p in operation["parameters"]}, path
    # Request examples: the docs show a working request, and schemathesis' examples phase sends them.
    for path in (
        "/api/v2/sms/send",
        "/api/v2/sms/send/json",
        "/api/v2/sms/send/template",
        "/api/v2/sms/message/send",
        "/api/v2/whatsapp/send/template",
        "/api/v2/whatsapp/message/send",
    ):
        assert schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"], path
    classic = ref(schema, body_of(schema, "/api/v2/sms/send", "post", 200)["schema"])
    assert classic["properties"]["status"]["type"] == "integer"


def test_the_segment_list_is_declared_in_its_catalogued_shape(schema):
    segments = ref(schema, body_of(schema, "/api/v2/contacts/segments", "get", 200)["schema"])
    assert segments["properties"]["status"]["type"] == "integer" and "code" not in segments["properties"]
    page = ref(schema, segments["properties"]["data"])
    assert {"current_page", "data", "first_page_url", "next_page_url", "total"} <= set(page["properties"])


def test_engage_is_not_part_of_the_v2_schema(schema):
    assert "/notify" not in schema["paths"] and "/v1/messaging/sms" not in schema["paths"]


PLACEHOLDER = re.compile(r"\b(todo|tbd|fixme|xxx|lorem|placeholder|description)\b", re.IGNORECASE)


def test_every_operation_has_a_description_of_its_own(schema):
    """Each operation says what it does, its rules and its errors in its own words: a sentence or
    more, not its summary again, not a stub, not a view's docstring (V2AutoSchema reads only
    `extend_schema(description=...)`), and not another operation's text (the unsubscriber views
    of SMS, WhatsApp and voice each name their channel)."""
    problems, seen = [], {}
    operations = [(m, p, op) for p, item in schema["paths"].items() for m, op in item.items() if "responses" in op]
    assert len(operations) > 100
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        text = " ".join(op.get("description", "").split())
        summary = op.get("summary", "").strip().rstrip(".").lower()
        if len(text.split()) < 10 or not text.endswith("."):
            problems.append(f"{where}: too short to say what it does: {text!r}")
        elif text.rstrip(".").lower() == summary or PLACEHOLDER.search(text) or "{channel}" in text:
            problems.append(f"{where}: not a real description: {text!r}")
        seen.setdefault(text, []).append(where)
    problems += [f"the same description on {', '.join(where)}" for where in seen.values() if len(where) > 1]
    assert not problems, "\n".join(problems)


def test_each_channels_unsubscriber_operations_name_their_channel(schema):
    paths = {"SMS": "/api/v2/sms", "WhatsApp": "/api/v2/whatsapp", "Voice": "/api/v2/outgoing"}
    for channel, prefix in paths.items():
        listed = schema["paths"][f"{prefix}/suppressions/unsubscribers"]
        assert f"{channel} messages" in listed["get"]["description"], channel
        assert f"{channel} messages" in listed["post"]["description"], channel


def test_view_docstrings_stay_out_of_the_reference(schema):
    from messaging.channels.sms.api.views import SendJsonView

    text = schema["paths"]["/api/v2/sms/send/json"]["post"]["description"]
    assert SendJsonView.__doc__.strip() not in text and "per-recipient messages" in text
