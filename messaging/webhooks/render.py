"""What goes on the wire for one delivery: method, URL, headers and the exact body bytes.

Standard webhooks get a POST of JSON; customized ones the customer's method, URL, params, headers
and body with `{{variable}}` placeholders filled from the event (webhooks catalog, "Compose
Customized Webhook").
"""

import json
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from messaging.webhooks import formats, signing
from messaging.webhooks.models import BodyFormat, Kind, Method

USER_AGENT = "PortalWebhooks/1.0"
# Transport headers a customized webhook may not set (they would break framing or the pinning).
RESERVED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "signature"}
# `{{id}}`, `{{ payload.status }}`; the docs engine writes `@{{id}}`, so a leading @ is dropped.
PLACEHOLDER = re.compile(r"@?\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


@dataclass
class Request:
    method: str
    url: str
    headers: dict
    content: bytes


def body_of(event_type, payload, *, wrapped):
    return {"event": event_type, "payload": payload} if wrapped else payload


def is_wrapped(event_type, *, by_webhook_id):
    form = formats.of(event_type).form
    if form == formats.FLAT_FOR_WEBHOOK_ID:
        return not by_webhook_id
    return form == formats.WRAPPED


def variables(event_type, payload):
    """Every placeholder value of an event: the payload's fields by name and as `payload.<name>`
    (channel events are documented with the prefix, SMS and voice without), nested keys dotted."""
    out = {"event": event_type}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            out[prefix] = json.dumps(value, separators=(",", ":"))
        else:
            out[prefix] = "" if value is None else str(value)

    walk("", payload)
    for key, value in list(out.items()):
        if key != "event":
            out.setdefault(f"payload.{key}", value)
    # SMS status callbacks are documented with `payload.mobile`, channel ones with `payload.to`.
    if "payload.to" in out:
        out.setdefault("payload.mobile", out["payload.to"])
    return out


def substitute(template, values, *, encode=None):
    def replace(match):
        value = values.get(match.group(1), "")
        return encode(value) if encode else value

    return PLACEHOLDER.sub(replace, str(template or ""))


def _header_safe(value):
    return str(value).replace("\r", " ").replace("\n", " ")


def _pairs(rows):
    return [(str(k).strip(), v) for k, v in (rows or []) if str(k).strip()]


def _multipart(fields):
    boundary = "----portal" + secrets.token_hex(12)
    chunks = []
    for name, value in fields:
        safe = name.replace('"', "%22").replace("\r", "").replace("\n", "")
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{safe}"\r\n\r\n{value}\r\n'.encode())
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def build(*, webhook, url, event_type, payload, wrapped, delivery_id, key, now=None):
    """The request for one attempt. `webhook` is None for a plain callback URL (Engage dlr.url)."""
    timestamp = int(now if now is not None else time.time())
    body = body_of(event_type, payload, wrapped=wrapped)
    headers = {"User-Agent": USER_AGENT}
    method = Method.POST
    if webhook is not None and webhook.kind == Kind.CUSTOM:
        values = variables(event_type, payload)
        method = webhook.method
        url = substitute(webhook.uri, values, encode=lambda v: quote(v, safe=""))
        params = [(k, substitute(v, values)) for k, v in _pairs(webhook.params)]
        if params:
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, urlencode(params)) if q)
            url = urlunsplit(parts._replace(query=query))
        for name, value in _pairs(webhook.headers):
            if name.lower() not in RESERVED_HEADERS:
                headers[_header_safe(name)] = _header_safe(substitute(value, values))
        fields = [(k, substitute(v, values)) for k, v in _pairs(webhook.body)]
        if method == Method.GET:
            content = b""
        elif webhook.body_format == BodyFormat.FORM and fields:
            content, headers["Content-Type"] = _multipart(fields)
        else:
            content = json.dumps(dict(fields) if fields else body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
    else:
        content = json.dumps(body, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
    if webhook is not None and webhook.secret:
        headers.setdefault("Authorization", f"Bearer {webhook.secret}")
    signed = content or _target(url).encode()
    headers["Signature"] = signing.header(key=key, timestamp=timestamp, content=signed)
    headers["X-Webhook-Timestamp"] = str(timestamp)
    headers["X-Webhook-Event"] = event_type
    headers["X-Webhook-Delivery"] = str(delivery_id)
    return Request(method=str(method), url=url, headers=headers, content=content)


def _target(url):
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def logged_headers(headers):
    """Headers as the delivery log shows them: the bearer secret masked."""
    return {
        k: ("Bearer *****" if k.lower() == "authorization" and str(v).startswith("Bearer ") else v)
        for k, v in headers.items()
    }
