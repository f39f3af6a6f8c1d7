"""Engage push SMS (`POST /v1/messaging/sms`): one message, lowest latency, Engage's own shapes.

Engage clients send `Authorization: Bearer <token>` and `X-Authorization: Basic <token>`; either
carries the API key here. Errors use Engage's validation shape, not the v2 envelope.
"""

from contextlib import nullcontext

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.api.authentication import ApiKeyAuthentication
from messaging.channels.sms.sending import Outgoing, submit
from messaging.links.services import save_links, shorten
from messaging.pipeline import outcomes
from messaging.pipeline.api import idempotency
from messaging.pipeline.models import Batch
from messaging.pipeline.submit import message_time
from messaging.senders.models import ReviewStatus, Sender
from messaging.services.products import enabled_products
from portal.api.scopes import Scope
from portal.api.views import V2APIView
from portal.core import rules
from portal.core.errors import Conflict, DomainError, TooManyRequests, ValidationFailed

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


def _product_for(account, kind, sender, version):
    """Engage names no service: take the service the sender ID is approved for (of the right kind),
    else the account's first service of that kind. Cached with the account's send rules (sender
    reviews and service changes invalidate them)."""
    return rules.cached(
        account, ("engage-service", kind, sender.upper()), lambda: _find_product(account, kind, sender), version
    )


def _find_product(account, kind, sender):
    promotional = kind == "promotional"
    candidates = enabled_products(account).filter(channel="sms", is_promotional=promotional).order_by("sort_order")
    approved_for = (
        Sender.objects.for_account(account)
        .filter(name__iexact=sender, status=ReviewStatus.APPROVED, product__in=candidates)
        .values_list("product", flat=True)
    )
    return candidates.filter(pk__in=approved_for).first() or candidates.first()


def _validate(view, body, *, many):
    """Engage's field rules. Returns (errors, parsed) where parsed holds what the send needs."""
    errors = []
    for field in ("type", "from", "msg", "to", "tiny"):
        if not body.get(field) or str(body.get(field)).strip() == "":
            errors.append((field, f"{field} is required"))
    for field, limit in LIMITS.items():
        if field == "to" and many:
            continue
        if len(str(body.get(field) or "")) > limit:
            errors.append((field, f"maximum charcter length allowed is {limit}"))
    kind = str(body.get("type") or "").lower()
    if kind and kind not in TYPES:
        errors.append(("type", "type must be promotional or transactional"))
    tiny = str(body.get("tiny") or "")
    if tiny and tiny not in ("0", "1"):
        errors.append(("tiny", "tiny must be 0 or 1"))
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
    numbers = body.get("to") if isinstance(body.get("to"), list) else str(body.get("to") or "").split(",")
    numbers = [str(n).strip() for n in numbers if str(n).strip()]
    if many and len(numbers) > 100_000:
        errors.append(("to", "at most 100000 numbers per request"))
    version = rules.request_versions(view.request, view.account)  # one read for the whole request
    product = _product_for(view.account, kind, str(body.get("from") or ""), version) if kind in TYPES else None
    if kind in TYPES and product is None:
        errors.append(("type", f"no {kind} SMS service is enabled for this account"))
    text, links = str(body.get("msg") or ""), []
    if tiny == "1":
        text, links = shorten(text)  # before the send counts units: the short text is what goes out
    outgoing = [
        Outgoing(
            to=n,
            sender=str(body.get("from") or ""),
            message=text,
            custom=transaction_id,
            dlr_url=url,
            dlr_mask=int(dlr["mask"]) if str(dlr.get("mask", "")) in ("0", "1") else 1,
        )
        for n in (numbers if many else numbers[:1])
    ]
    return errors, {
        "service": product,
        "outgoing": outgoing,
        "transaction_id": transaction_id,
        "links": links,
        "dlr_url": url,
        "version": version,
    }


def _submit(view, request, parsed):
    links = parsed["links"]
    # Short links are saved with the send or not at all; without them, no extra transaction.
    with transaction.atomic() if links else nullcontext():
        submission = submit(
            account=view.account,
            product_code=parsed["service"].code,
            outgoing=parsed["outgoing"],
            api_key=request.auth,
            source="engage",
            **idempotency(request, key=f"engage:{parsed['transaction_id']}" if parsed["transaction_id"] else None),
            rules_version=parsed["version"],
        )
        if links and submission.batch.accepted and not submission.replayed:
            single = len(parsed["outgoing"]) == 1
            save_links(
                account=view.account,
                pairs=links,
                batch=submission.batch,
                message_index=1 if single else None,
                mobile=submission.items[0]["mobile"] if single else "",
                callback_url=parsed["dlr_url"],
            )
    return submission


def _accept(view, request, *, many):
    """Validate and submit an Engage body: (submission, None), or (None, the Engage error answer)."""
    body = request.data if isinstance(request.data, dict) else {}
    errors, parsed = _validate(view, body, many=many)
    if errors:
        return None, engage_error(errors)
    try:
        return _submit(view, request, parsed), None
    except Conflict as exc:  # a transactionID reused for another message
        return None, engage_error([("transactionID", exc.message)], status=409)
    except TooManyRequests as exc:  # the account's recipients-per-minute budget
        refusal = engage_error([("to", exc.message)], status=429)
        refusal["Retry-After"] = str(exc.retry_after)
        return None, refusal
    except DomainError as exc:
        return None, engage_error([(exc.field or "to", exc.message)])


@extend_schema(exclude=True)  # Engage is its own API (host, auth, error shape): docs/api.md, "Engage"
class EngageView(V2APIView):
    authentication_classes = [EngageAuthentication]

    def handle_exception(self, exc):
        # The shared input rules (portal/api/parsers.py, V2APIView) answer in Engage's shape here.
        if isinstance(exc, ValidationFailed):
            return engage_error([(field, m) for field, messages in exc.errors.items() for m in messages])
        return super().handle_exception(exc)


class PushSmsView(EngageView):
    required_scopes = {"POST": (Scope.SEND, Scope.OTP)}

    def post(self, request):
        submission, refusal = _accept(self, request, many=False)
        if refusal:
            return refusal
        item = submission.items[0]
        if submission.batch.accepted == 0 and not submission.replayed:
            param = {"INV-SENDER": "from", "INV-NUMBER": "to", "NOTALLOWED": "to", "OPTOUT-REJ": "to"}.get(
                item["status"], "msg"
            )
            return engage_error([(param, f"message refused: {item['status']}")])
        return Response({"id": str(submission.batch.uuid)})


class NotifyView(EngageView):
    """Engage notify (bulk, queued at the constant rate). The catalog documents only the path and the
    report's paging; the body is the push body with `to` as a list, and the answers are inferred:
    POST → `{"id", "accepted", "rejected"}`; GET → a page of the account's Engage messages."""

    required_scopes = {"GET": Scope.READ, "POST": Scope.SEND}

    def post(self, request):
        submission, refusal = _accept(self, request, many=True)
        if refusal:
            return refusal
        batch = submission.batch
        return Response({"id": str(batch.uuid), "accepted": batch.accepted, "rejected": batch.total - batch.accepted})

    def get(self, request):
        try:
            number = max(0, int(request.query_params.get("page_number", 0)))
            size = min(1000, max(1, int(request.query_params.get("page_size", 100))))
        except ValueError:
            return engage_error([("page_number", "page_number and page_size must be integers")])
        # Newest batch first, each in position order; refused-before-pricing numbers included.
        batches = Batch.objects.for_account(self.account).filter(source="engage")
        rows = outcomes.BatchesRecipients(batches, order="-id")
        total = rows.count()
        page = rows[number * size : (number + 1) * size]
        data = [
            {
                "id": f"{m.batch.uuid}:{m.index}",
                "to": m.mobile,
                "from": m.sender,
                "status": m.status,
                "transactionID": m.custom,
                "submitted_at": message_time(m.submitted_at),
                "delivered_at": message_time(m.delivered_at),
            }
            for m in page
        ]
        return Response({"page_number": number, "page_size": size, "total": total, "data": data})
