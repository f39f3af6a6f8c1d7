"""The verification challenge a webhook with a `token` must answer before it receives anything.

Its own module (not services) because the `verify_webhook` task runs it and services enqueues
that task: services → tasks → verification, no cycle.
"""

import secrets

import httpx
from django.conf import settings
from django.utils import timezone

from messaging.webhooks import signing
from messaging.webhooks.models import Webhook
from portal.core.outbound import Refused, pinned_client


def verify(*, webhook, client=None):
    """The verification challenge: POST {uri}?token=<key> with {validation_key, challenge}; the
    receiver must answer 200 with the same challenge. Returns True when verified."""
    challenge = secrets.token_urlsafe(12)
    body = {"validation_key": webhook.token, "challenge": challenge}
    content = httpx.Request("POST", "http://x", json=body).content
    now = timezone.now()
    headers = {
        "Content-Type": "application/json",
        "Signature": signing.header(key=str(webhook.uuid), timestamp=now.timestamp(), content=content),
        "X-Webhook-Timestamp": str(int(now.timestamp())),
    }
    if webhook.secret:
        headers["Authorization"] = f"Bearer {webhook.secret}"
    error = ""
    client = client or pinned_client(
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_loopback=settings.WEBHOOKS_ALLOW_LOOPBACK
    )
    try:
        with client:
            response = client.post(webhook.uri, params={"token": webhook.token}, content=content, headers=headers)
            if response.status_code != 200:
                error = f"The URL answered HTTP {response.status_code}; 200 with the challenge is needed."
            else:
                try:
                    answered = response.json().get("challenge")
                except (ValueError, AttributeError):
                    answered = None
                if answered != challenge:
                    error = "The answer did not contain the challenge."
    except Refused as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"The URL could not be reached ({type(exc).__name__})."
    Webhook.objects.filter(pk=webhook.pk, uri=webhook.uri, token=webhook.token).update(
        verified_at=None if error else now, verification_error=error[:300]
    )
    webhook.refresh_from_db()
    return not error
