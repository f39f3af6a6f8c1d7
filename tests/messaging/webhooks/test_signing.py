"""The Signature header against an independent reference verifier (the docs' snippet)."""

import hashlib
import hmac
import json
import time

from messaging.webhooks import render, signing


def reference_verify(header, body, secret, tolerance=300, now=None):
    """What docs/webhooks.md tells customers to run, written out independently."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class Hook:
    kind = "standard"
    secret = "bearer-secret"

    def __init__(self, uuid):
        self.uuid = uuid


def test_a_built_request_verifies_with_the_reference_and_the_shipped_verifier():
    key = "180ebbb5-9b6f-4c51-a98a-000000000001"
    request = render.build(
        webhook=Hook(key),
        url="https://example.com/in",
        event_type="sms:message:status",
        payload={"id": "g:1", "status": "DELIVRD"},
        wrapped=True,
        delivery_id="d-1",
        key=key,
        now=1_700_000_000,
    )
    header = request.headers["Signature"]
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert request.headers["X-Webhook-Timestamp"] == "1700000000"
    assert json.loads(request.content) == {"event": "sms:message:status", "payload": {"id": "g:1", "status": "DELIVRD"}}
    assert reference_verify(header, request.content, key, now=1_700_000_010)
    assert signing.verify(header, key=key, content=request.content, now=1_700_000_010)


def test_tampering_wrong_key_and_old_timestamps_fail():
    key, body = "k", b'{"a":1}'
    header = signing.header(key=key, timestamp=1000, content=body)
    assert signing.verify(header, key=key, content=body, now=1100)
    assert not signing.verify(header, key=key, content=b'{"a":2}', now=1100)
    assert not signing.verify(header, key="other", content=body, now=1100)
    assert not signing.verify(header, key=key, content=body, now=1000 + 301)  # replayed later
    assert not reference_verify(header, body, key, now=1000 + 301)
    # Moving the timestamp forward breaks the MAC: the timestamp is signed.
    forged = header.replace("t=1000", "t=1200")
    assert not signing.verify(forged, key=key, content=body, now=1200)
    assert not signing.verify("", key=key, content=body, now=1000)
    assert not signing.verify("t=abc,v1=00", key=key, content=body, now=1000)


def test_the_bearer_secret_is_masked_in_the_log():
    assert render.logged_headers({"Authorization": "Bearer s3cret", "X": "y"}) == {
        "Authorization": "Bearer *****",
        "X": "y",
    }
