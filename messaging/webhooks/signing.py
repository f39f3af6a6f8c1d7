"""The `Signature` header: HMAC-SHA256 over the timestamp and the exact bytes sent.

    Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>." + body)>

The key is the webhook's id (the catalog: "generated using the webhook ID as the secret"); an
Engage `dlr.url` callback, which has no webhook, is keyed by the submission's id (the `id` the push
answered). A request without a body (customized GET) signs "<t>." + the request target (path and
query). Receivers recompute it and refuse timestamps older than a few minutes, so a captured
request cannot be replayed later. `verify()` is the reference verifier (docs/webhooks.md).
"""

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def compute(*, key, timestamp, content):
    message = f"{int(timestamp)}.".encode() + (content if isinstance(content, bytes) else content.encode())
    return hmac.new(str(key).encode(), message, hashlib.sha256).hexdigest()


def header(*, key, timestamp, content):
    return f"t={int(timestamp)},v1={compute(key=key, timestamp=timestamp, content=content)}"


def parse(value):
    parts = {}
    for item in (value or "").split(","):
        name, _, text = item.strip().partition("=")
        if name and text:
            parts.setdefault(name, []).append(text)
    return parts


def verify(value, *, key, content, tolerance=TOLERANCE_SECONDS, now=None):
    """True when `value` (the Signature header) is valid for `content` and recent enough."""
    parts = parse(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = compute(key=key, timestamp=timestamp, content=content)
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))
