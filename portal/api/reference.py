"""The API reference around the generated schema (a drf-spectacular post-processing hook): the
introduction (quick start, authentication, errors, rate limits, idempotency), a described tag per
area, and code samples for every operation in curl, Python, PHP and Node (`x-codeSamples`, which
Redoc shows beside each operation).

Samples run as written against the demo instance (`make run`): the key comes from `API_KEY`, the
address from `PORTAL_URL` (default http://localhost:8000). Bodies are the operation's documented
example, the demo's own values where the demo needs them (its approved sender and template), else
a minimal body built from the schema's required fields. tests/api/test_code_samples.py runs them.
"""

import json
import re
from urllib.parse import urlencode

BASE = "http://localhost:8000"
METHODS = ("get", "post", "put", "patch", "delete")
LANGUAGES = (("curl", "Shell"), ("Python", "Python"), ("PHP", "PHP"), ("Node", "JavaScript"))

# Bodies the demo accepts as they are (README: the approved sender DEMORT and its DLT template,
# the demo WhatsApp number and its approved template).
DEMO_BODIES = {
    ("post", "/api/v2/sms/send"): {
        "sender": "DEMORT",
        "service": "T",
        "to": "919876543211",
        "message": "Your Demo Retail login code is 4821. It expires in 10 minutes. Do not share it.",
    },
    ("post", "/api/v2/whatsapp/message/send"): {
        "channels": [{"name": "whatsapp", "from": "919019120000"}],
        "recipient": {"to": ["919876543210"]},
        "message": {
            "type": "template",
            "payload": {
                "name": "order-update",
                "header_params": {"type": "text", "payload": {"text": "1042"}},
                "body_params": ["Asha", "today"],
            },
        },
    },
}
UPLOADS = {"file": "contacts.csv", "document": "document.pdf"}
# Lookups that need one selector of several: the demo's numbers.
DEMO_QUERIES = {
    ("get", "/api/v2/sms/report"): {"daterange": "2026-12-01|2026-12-03"},
    ("get", "/api/v2/sms/status"): {"mobile": "919876543211"},
    ("get", "/api/v2/whatsapp/message/status"): {"mobile": "919876543210"},
    ("get", "/api/v2/outgoing/callstatus"): {"mobile": "919876543210"},
}

TAGS = [
    ("auth", "Account and keys", "Who the key belongs to, what it may do, and bearer tokens."),
    ("finance", "Balance and credits", "Wallet balances; resellers move credits to their customers."),
    ("sms", "SMS", "Send SMS (one text, per-recipient JSON, templates), delivery status and reports, sender IDs, "
     "DLT templates, prices and suppression lists."),
    ("whatsapp", "WhatsApp", "Send WhatsApp messages and templates through the Cloud API, and read their status."),
    ("contacts", "Contacts", "Contacts, identifiers, tags, segments and subscriptions; bulk import."),
    ("developer", "Webhooks", "Webhooks, event subscriptions, test events and the delivery log. Every delivery "
     "is signed; see the webhook pages for the secret."),
    ("outgoing", "Voice calls", "Outbound calls running a flow, and their records."),
    ("voice", "Voice", "Flows, sounds, numbers and conferences."),
    ("vmn", "Virtual numbers", "Incoming numbers and what they do."),
]  # fmt: skip

INTRO = """Messaging REST API (v2): SMS, WhatsApp, voice, contacts and webhooks over HTTPS and JSON.

# Quick start

1. Start the demo (`make run`) or use your account's address.
2. Take an API key: the demo prints one (also in `var/demo_api_key`); in your account,
   **Developer → API keys** creates one (shown once).
3. Call the API with it:

```sh
export API_KEY=$(cat var/demo_api_key)   # or your key
export PORTAL_URL=http://localhost:8000  # or your account's address
curl -H "Authorization: Bearer $API_KEY" "$PORTAL_URL/api/v2/finance/balance"
```

Send an SMS with the demo's approved sender and DLT template:

```sh
curl -X POST "$PORTAL_URL/api/v2/sms/send" -H "Authorization: Bearer $API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{SEND_BODY}'
```

Every operation below has the same call in curl, Python (`requests`), PHP (curl extension) and
Node (18 or later, built-in `fetch`), reading `API_KEY` and `PORTAL_URL` from the environment.

# Authentication

Send the key as a bearer token: `Authorization: Bearer <key>` (or the `access_token` query
parameter where a header cannot be set). A key carries **scopes** (`read`, `send`, `otp`, `write`,
`webhooks`, `credits`) and never does more than its holder's role allows now; a refused scope is
a 403 naming the scope. A key may be limited to IP addresses (403 from any other). Short-lived
bearer tokens come from `GET /api/v3/auth/token/generate`. A missing or wrong key is
`401 {"status":"failed","code":401,"message":"Unauthenticated."}`.

# Errors

Errors share one envelope: `{"status": "failed", "code": <HTTP status>, "message": "<first
error>"}`; a 422 adds `errors`, each field with its messages (`nodes.1.to` for nested fields).

| status | when |
|---|---|
| 400 | malformed JSON, or a body that is not a JSON object |
| 401 | no key, or a key that is wrong, expired or revoked |
| 403 | the key lacks the scope, the address is not whitelisted, or the object is not yours to change |
| 404 | no such object in your account (another account's objects are 404 too) |
| 409 | an `Idempotency-Key` reused for a different request; an object still in use |
| 413 | the body is over its limit (4 MB; 160 MB for `sms/send/json`; 101 MB multipart) |
| 422 | a field is wrong: `errors` names each one |
| 429 | over the rate limit or the account's recipients per minute (see below) |

A status or DLR code on a message (`DELIVRD`, `UNDELIV 034`, …) is explained in the portal's
"Status and DLR codes" page (Reports), with whether it was billed and what to do.

# Rate limits

Each key may make 1,000 requests a minute (staff may set another limit per account), in fixed
one-minute windows. Every answer carries `X-RateLimit-Limit` and `X-RateLimit-Remaining`; a 429
carries `Retry-After` (seconds). Sends also count their recipients against the account's budget
(200,000 a minute over all its keys and pages): a send that would go over it is refused whole
with a 429 and `Retry-After`, nothing written.

# Idempotency

Sends and `finance/credits` take an `Idempotency-Key` header: a retry with the same key and the
same request answers the first answer again and does nothing twice; the same key with another
request is a 409.

# Webhooks

Events (message status, incoming messages, unsubscriptions, …) are delivered to your webhooks as
`{"event": "<name>", "payload": {…}}`, signed with the webhook's secret, retried with backoff; see
the *Webhooks* operations and the portal's Developer → Webhooks page.
"""


def reference(result, generator, request, public):
    info = result.setdefault("info", {})
    info["description"] = INTRO.replace("{SEND_BODY}", json.dumps(DEMO_BODIES[("post", "/api/v2/sms/send")]))
    used = {t for item in result.get("paths", {}).values() for op in _operations(item) for t in op.get("tags", [])}
    result["tags"] = [
        {"name": name, "x-displayName": title, "description": text} for name, title, text in TAGS if name in used
    ] + [{"name": t} for t in sorted(used - {name for name, _, _ in TAGS})]
    components = result.get("components", {}).get("schemas", {})
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                item[method]["x-codeSamples"] = samples(path, method, item[method], components)
    return result


def _operations(item):
    return [item[m] for m in METHODS if m in item]


# Building a request from the operation


def request_of(path, method, op, components):
    """(path, query dict, media type or None, body or None) the samples send."""
    query = dict(DEMO_QUERIES.get((method, path), {}))
    for p in op.get("parameters", []):
        if p.get("in") == "query" and p.get("required") and p["name"] not in query:
            query[p["name"]] = _value(p.get("schema", {}), components, p.get("example"))
    content = op.get("requestBody", {}).get("content", {})
    media = next((m for m in ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")
                  if m in content), None)  # fmt: skip
    body = None
    if media:
        if (method, path) in DEMO_BODIES and media == "application/json":
            body = DEMO_BODIES[(method, path)]
        else:
            spec = content[media]
            examples = spec.get("examples") or {}
            if examples:
                body = next(iter(examples.values())).get("value")
            elif "example" in spec:
                body = spec["example"]
            else:
                body = _value(spec.get("schema", {}), components, None, required_only=True)
        if media == "multipart/form-data" and isinstance(body, dict):
            # Files are read from disk: a placeholder name the sample opens.
            body = {k: (f"@{UPLOADS[k]}" if k in UPLOADS else v) for k, v in body.items()}
        if method == "get":
            query.update(body or {})
            media, body = None, None
    return path, query, media, body


def _resolve(schema, components):
    seen = 0
    while "$ref" in schema and seen < 10:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def _value(schema, components, example=None, *, required_only=False, depth=0):
    if example is not None:
        return example
    schema = _resolve(schema, components)
    for key in ("oneOf", "anyOf", "allOf"):
        if schema.get(key):
            return _value(schema[key][0], components, required_only=required_only, depth=depth)
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v not in ("", None)), schema["enum"][0])
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        names = [n for n in props if n in required] if required_only else list(props)
        return {
            n: _value(props[n], components, required_only=required_only, depth=depth + 1)
            for n in names
            if not props[n].get("readOnly")
        }
    if kind == "array":
        return [_value(schema.get("items", {}), components, required_only=required_only, depth=depth + 1)]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    fmt = schema.get("format", "")
    return {
        "uuid": "00000000-0000-0000-0000-000000000000",
        "date": "2026-12-01",
        "date-time": "2026-12-01T10:00:00Z",
        "email": "someone@example.com",
        "uri": "https://example.com/hook",
        "binary": "@file.csv",
    }.get(fmt, "text")


def _files_and_fields(body):
    files = {k: v for k, v in (body or {}).items() if isinstance(v, str) and v.startswith("@")}
    fields = {k: v for k, v in (body or {}).items() if k not in files}
    return files, fields


# The four languages


def samples(path, method, op, components):
    path, query, media, body = request_of(path, method, op, components)
    url = path + ("?" + urlencode(query, doseq=True) if query else "")
    note = _path_note(path)
    return [
        {"lang": lang, "label": label, "source": build(url, method, media, body, note)}
        for (label, lang), build in zip(LANGUAGES, (curl, python, php, node), strict=True)
    ]


def _path_note(path):
    names = re.findall(r"{(\w+)}", path)
    return f"replace {', '.join('{' + n + '}' for n in names)} in the path" if names else ""


def _sh_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def curl(url, method, media, body, note):
    lines = [f"# {note}"] if note else []
    lines.append(f'curl -sS --fail-with-body -X {method.upper()} "${{PORTAL_URL:-{BASE}}}{url}" \\')
    parts = ['  -H "Authorization: Bearer $API_KEY"']
    if media == "application/json":
        parts += ['  -H "Content-Type: application/json"', f"  -d {_sh_quote(json.dumps(body))}"]
    elif media == "multipart/form-data":
        files, fields = _files_and_fields(body)
        parts += [f"  -F {_sh_quote(f'{k}={v}')}" for k, v in {**fields, **files}.items() if not isinstance(v, dict)]
    elif media:
        parts += [f"  --data-urlencode {_sh_quote(f'{k}={v}')}" for k, v in (body or {}).items()]
    lines.append(" \\\n".join(parts))
    return "\n".join(lines) + "\n"


def python(url, method, media, body, note):
    lines = ["import os", "", "import requests", ""]
    if note:
        lines.append(f"# {note}")
    args = [
        f'    os.environ.get("PORTAL_URL", "{BASE}") + "{url}",',
        '    headers={"Authorization": "Bearer " + os.environ["API_KEY"]},',
    ]
    if media == "application/json":
        args.append(f"    json={json.dumps(body, ensure_ascii=False)},")
    elif media == "multipart/form-data":
        files, fields = _files_and_fields(body)
        if fields:
            args.append(f"    data={json.dumps(fields, ensure_ascii=False)},")
        if files:
            opened = ", ".join(f'"{k}": open("{v[1:]}", "rb")' for k, v in files.items())
            args.append(f"    files={{{opened}}},")
    elif media:
        args.append(f"    data={json.dumps(body, ensure_ascii=False)},")
    lines += [f"response = requests.{method}(", *args, ")", "response.raise_for_status()", "print(response.json())"]
    return "\n".join(lines) + "\n"


def _php_quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def php(url, method, media, body, note):
    lines = ["<?php"]
    if note:
        lines.append(f"// {note}")
    lines += [
        f"$base = getenv('PORTAL_URL') ?: '{BASE}';",
        f"$ch = curl_init($base . {_php_quote(url)});",
        "$headers = ['Authorization: Bearer ' . getenv('API_KEY')];",
        f"curl_setopt($ch, CURLOPT_CUSTOMREQUEST, '{method.upper()}');",
    ]
    if media == "application/json":
        lines += [
            "$headers[] = 'Content-Type: application/json';",
            f"curl_setopt($ch, CURLOPT_POSTFIELDS, {_php_quote(json.dumps(body))});",
        ]
    elif media:
        files, fields = _files_and_fields(body)
        entries = [
            f"{_php_quote(k)} => {_php_quote(str(v))}" for k, v in fields.items() if not isinstance(v, (dict, list))
        ]
        entries += [f"{_php_quote(k)} => new CURLFile({_php_quote(v[1:])})" for k, v in files.items()]
        value = "[" + ", ".join(entries) + "]"
        if media == "application/x-www-form-urlencoded":
            value = f"http_build_query({value})"
        lines.append(f"curl_setopt($ch, CURLOPT_POSTFIELDS, {value});")
    lines += [
        "curl_setopt($ch, CURLOPT_HTTPHEADER, $headers);",
        "curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);",
        "$answer = curl_exec($ch);",
        'if ($answer === false) { fwrite(STDERR, curl_error($ch) . "\\n"); exit(1); }',
        "$status = curl_getinfo($ch, CURLINFO_HTTP_CODE);",
        'if ($status >= 400) { fwrite(STDERR, "$status $answer\\n"); exit(1); }',
        'echo $answer, "\\n";',
    ]
    return "\n".join(lines) + "\n"


def node(url, method, media, body, note):
    lines = [f"// {note}"] if note else []
    lines += [
        "// Node 18 or later (built-in fetch).",
        f'const base = process.env.PORTAL_URL || "{BASE}";',
        "const headers = { Authorization: `Bearer ${process.env.API_KEY}` };",
    ]
    options = [f'method: "{method.upper()}"', "headers"]
    if media == "application/json":
        lines.append('headers["Content-Type"] = "application/json";')
        options.append(f"body: JSON.stringify({json.dumps(body, ensure_ascii=False)})")
    elif media:
        files, fields = _files_and_fields(body)
        lines.append("const form = new FormData();")
        if files:
            lines.insert(0, 'const fs = require("fs");')
        for k, v in fields.items():
            if not isinstance(v, (dict, list)):
                lines.append(f"form.append({json.dumps(k)}, {json.dumps(str(v))});")
        for k, v in files.items():
            lines.append(
                f"form.append({json.dumps(k)}, new Blob([fs.readFileSync({json.dumps(v[1:])})]), {json.dumps(v[1:])});"
            )
        urlencoded = media == "application/x-www-form-urlencoded"
        options.append("body: new URLSearchParams(form)" if urlencoded else "body: form")
    lines += [
        "(async () => {",
        f'  const res = await fetch(base + "{url}", {{ {", ".join(options)} }});',
        "  const text = await res.text();",
        "  if (!res.ok) throw new Error(`${res.status} ${text}`);",
        "  console.log(text);",
        "})().catch((err) => { console.error(err.message); process.exit(1); });",
    ]
    return "\n".join(lines) + "\n"
