"""`sms/message/send` ("Message Sending Options"): the channel-style request (`channels[]`,
`recipient`, `message`) dispatched on the channel's name through the pipeline. Each channel
adapter reads its own entry (`ChannelAdapter.from_channel_request`); an unregistered name is a
422 naming the channels this deployment sends."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from messaging.pipeline import channels
from messaging.pipeline import submit as pipeline
from messaging.pipeline.api_schema import CHANNEL_QUEUED, CHANNEL_SEND_BODY, CHANNEL_SEND_EXAMPLE
from portal.api.idempotency import request_fingerprint
from portal.api.schema import IDEMPOTENCY_KEY
from portal.api.scopes import Scope
from portal.api.views import V2APIView
from portal.core import rules
from portal.core.errors import FieldErrors


def idempotency_key(request, custom):
    """A retried request answers the first one: keyed by the `Idempotency-Key` header, else by
    the request's own reference (`custom`, `foreign_id`), per account."""
    header = request.headers.get("Idempotency-Key", "").strip()
    if header:
        return f"key:{header}"[:200]
    custom = str(custom or "").strip()
    return f"custom:{custom}"[:200] if custom else None


def idempotency(request, custom=None, *, key=None):
    """`submit()`'s idempotency arguments for an API request: the key (`key`, else the header or
    `custom`) and the request's fingerprint, so the key replays only the request that used it."""
    key = key or idempotency_key(request, custom)
    return {"idempotency_key": key, "request_hash": request_fingerprint(request) if key else ""}


class ChannelSendView(V2APIView):
    """`sms/message/send`: the channel-style API (`channels[]`, `recipient`, `message.payload.text`)."""

    required_scopes = {"POST": Scope.SEND}

    @extend_schema(
        summary="Send text message (channel API)",
        description="Sends a text through the channel-style API: `channels[0]` names the channel (`sms`), its "
        "`from` (the sender ID) and its `meta` (`service`, default the account's first SMS service; `type`, "
        "`max_units`, DLT ids, `foreign_id`: your reference and, without the header, the idempotency key; "
        "`tags`); `recipient.to` lists the numbers and `recipient.group_id` segment ids; `message` is "
        '`{"type": "text", "payload": {"text": …}}` (4,096 characters at most). Items answer `queued` or '
        "`notallowed` per recipient, as the channel's rules decide. A channel this deployment does not send, "
        "a service of another channel, or a bad field: 422.",
        parameters=[IDEMPOTENCY_KEY],
        request={"application/json": CHANNEL_SEND_BODY},
        responses={200: CHANNEL_QUEUED},
        examples=[CHANNEL_SEND_EXAMPLE],
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        errors = FieldErrors()
        entries = body.get("channels")
        entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else None
        adapter = None
        if entry is None:
            errors["channels"] = ["The channels field is required."]
        else:
            name = str(entry.get("name") or "").lower()
            try:
                adapter = channels.get(name)
            except channels.UnknownChannel:
                errors["channels.0.name"] = [
                    f"The selected channels.0.name is invalid ({', '.join(channels.names())})."
                ]
        if adapter is None:
            errors.raise_if_any()
        parsed = adapter.from_channel_request(self.account, body, entry, errors)
        errors.raise_if_any()
        submission = pipeline.submit(
            account=self.account,
            channel=adapter.name,
            product_code=parsed.product_code,
            outgoing=parsed.outgoing,
            api_key=request.auth,
            **idempotency(request, parsed.foreign_id),
            tags=parsed.tags,
            rules_version=rules.request_versions(request, self.account),
        )
        data = [adapter.channel_item(item, parsed) for item in submission.items]
        return Response({"status": "OK", "message": "Message(s) Queued successfully", "data": data})
