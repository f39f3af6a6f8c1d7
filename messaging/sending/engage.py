"""Engage push SMS (`POST /v1/messaging/sms`): one message, lowest latency, Engage's own shapes.

Engage clients send `Authorization: Bearer <token>` and `X-Authorization: Basic <token>`; either
carries the API key here. Errors use Engage's validation shape, not the v2 envelope.
"""

from rest_framework.response import Response

from accounts.services.errors import DomainError
from messaging.sending.services import Outgoing, submit
from messaging.services.catalog import enabled_services
from portal.api.authentication import ApiKeyAuthentication
from portal.api.views import V2APIView

LIMITS = {"type": 100, "from": 50, "transactionID": 200, "tiny": 1, "msg": 1000, "to": 20}
TYPES = {"transactional", "promotional"}


class EngageAuthentication(ApiKeyAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_X_AUTHORIZATION", "")
        if not request.META.get("HTTP_AUTHORIZATION") and header.lower().startswith("basic "):
            request.META["HTTP_AUTHORIZATION"] = "Bearer " + header[6:].strip()
        return super().authenticate(request)


def engage_error(errors, status=422):
    return Response(
        {
            "status": 0,
            "message": "Validation Error.",
            "data": [{"msg": msg, "param": param, "location": "body"} for param, msg in errors],
        },
        status=status,
    )


def _service_for(account, kind, sender):
    """Engage names no service: take the service the sender ID is approved for (of the right kind),
    else the account's first service of that kind."""
    from messaging.senders.models import ReviewStatus, Sender

    promotional = kind == "promotional"
    services = enabled_services(account).filter(channel="sms", is_promotional=promotional).order_by("sort_order")
    approved_for = (
        Sender.objects.for_account(account)
        .filter(name__iexact=sender, status=ReviewStatus.APPROVED, service__in=services)
        .values_list("service", flat=True)
    )
    return services.filter(pk__in=approved_for).first() or services.first()


class PushSmsView(V2APIView):
    authentication_classes = [EngageAuthentication]

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        errors = []
        for field in ("type", "from", "msg", "to", "tiny"):
            if str(body.get(field) or "").strip() == "":
                errors.append((field, f"{field} is required"))
        for field, limit in LIMITS.items():
            if len(str(body.get(field) or "")) > limit:
                errors.append((field, f"maximum charcter length allowed is {limit}"))
        kind = str(body.get("type") or "").lower()
        if kind and kind not in TYPES:
            errors.append(("type", "type must be promotional or transactional"))
        tiny = str(body.get("tiny") or "")
        if tiny and tiny not in ("0", "1"):
            errors.append(("tiny", "tiny must be 0 or 1"))
        elif tiny == "1":
            errors.append(("tiny", "URL shortening is not available on this account yet; send tiny 0"))
        dlr = body.get("dlr") if isinstance(body.get("dlr"), dict) else {}
        if str(dlr.get("mask", "")) not in ("0", "1"):
            errors.append(("dlr.mask", "dlr.mask is required and must be 0 or 1"))
        url = str(dlr.get("url") or "")
        if len(url) > 200:
            errors.append(("dlr.url", "maximum charcter length allowed is 200"))
        elif url and not url.startswith(("http://", "https://")):
            errors.append(("dlr.url", "dlr.url must be an http or https URL"))
        transaction_id = str(body.get("transactionID") or "")
        if kind == "transactional" and not transaction_id:
            errors.append(("transactionID", "transactionID is required"))
        service = _service_for(self.account, kind, str(body.get("from") or "")) if kind in TYPES else None
        if kind in TYPES and service is None:
            errors.append(("type", f"no {kind} SMS service is enabled for this account"))
        if errors:
            return engage_error(errors)
        outgoing = [
            Outgoing(
                to=str(body["to"]),
                sender=str(body["from"]),
                message=str(body["msg"]),
                custom=transaction_id,
                dlr_url=url,
                dlr_mask=int(dlr["mask"]),
            )
        ]
        try:
            submission = submit(
                account=self.account,
                service_code=service.code,
                outgoing=outgoing,
                api_key=request.auth,
                source="engage",
                idempotency_key=f"engage:{transaction_id}" if transaction_id else None,
            )
        except DomainError as exc:
            return engage_error([(exc.field or "to", exc.message)])
        item = submission.items[0]
        if submission.batch.accepted == 0 and not submission.replayed:
            param = {"INV-SENDER": "from", "INV-NUMBER": "to", "NOTALLOWED": "to", "OPTOUT-REJ": "to"}.get(
                item["status"], "msg"
            )
            return engage_error([(param, f"message refused: {item['status']}")])
        return Response({"id": str(submission.batch.uuid)})
