"""The v2 WhatsApp endpoints (../shared/spec/whatsapp.md): templates, the two sends, the status
pull, pricing and the opt-out list. Unsubscribers (5–11) reuse the suppression views with the
WhatsApp channel (`api/urls.py`)."""

import json

from django.db.models import Min
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from messaging import consent
from messaging.channels.whatsapp import errors as provider_errors
from messaging.channels.whatsapp import media, message_templates, service_templates
from messaging.channels.whatsapp.api import schema as S
from messaging.channels.whatsapp.api.channel_request import outgoing_for, recipient_numbers, tags_of
from messaging.channels.whatsapp.api.channel_request import parse as parse_channel_request
from messaging.channels.whatsapp.models import STATUS_FILTER, StatusRecord, WhatsappMedia, WhatsappTemplate
from messaging.channels.whatsapp.pricing import SUB_SERVICES
from messaging.channels.whatsapp.sending import CHANNEL, PRODUCT, submit
from messaging.pipeline import outcomes
from messaging.pipeline.api import idempotency
from messaging.pipeline.api_schema import channel_send_body
from messaging.pipeline.models import Message
from messaging.pricing.api.views import price_data
from messaging.pricing.filters import PriceFilterSet
from messaging.pricing.services import rate_card
from messaging.suppressions.models import ScopeType, Unsubscriber
from portal.api.filters import apply_filterset, filter_params
from portal.api.formats import resource_time
from portal.api.pagination import V2Pagination
from portal.api.schema import EMPTY_LIST, IDEMPOTENCY_KEY, envelope, many
from portal.api.scopes import Scope, reads_and
from portal.api.views import V2APIView
from portal.core.errors import FieldErrors, NotFound, ValidationFailed
from portal.core.phone_numbers import digits_of
from portal.core.tenancy import is_uuid
from portal.core.text import as_text

QUEUED = "Messages queued successfully"
TYPE_OUT = {"json": "JSON"}  # the catalog's enum casing


def template_data(t, request=None):
    data = {
        "id": str(t.uuid),
        "name": t.name,
        "alias": t.alias,
        "number": t.number.number,
        "type": TYPE_OUT.get(t.type, t.type),
        "category": t.category,
        "language": t.language,
        "body": t.body,
        "payload": json.dumps(t.payload),
        "status": t.get_status_display(),
        "created_at": resource_time(t.created_at),
        "updated_at": resource_time(t.updated_at),
    }
    if t.reason:
        data["reason"] = t.reason
    return data


def _filtered_templates(account, request):
    qs = WhatsappTemplate.objects.for_account(account).select_related("number")
    params = filter_params(request.query_params)
    errors = FieldErrors()
    if params.get("id"):
        qs = qs.filter(uuid=params["id"]) if is_uuid(params["id"]) else qs.none()
    if params.get("name"):
        qs = qs.filter(name__icontains=params["name"])
    if params.get("type"):
        kind = str(params["type"]).lower()
        if kind not in message_templates.TYPES:
            errors.add("filter[type]", "The selected filter[type] is invalid (text, JSON, media, template).")
        qs = qs.filter(type=kind)
    if params.get("status"):
        status = STATUS_FILTER.get(str(params["status"]))
        if status is None:
            errors.add("filter[status]", "The selected filter[status] is invalid (1 approved, 2 pending, 3 rejected).")
        qs = qs.filter(status=status)
    errors.raise_if_any()
    return qs


class TemplateList(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    @extend_schema(
        summary="View all WhatsApp templates",
        description="Lists the account's WhatsApp templates: service templates (`text`, `JSON`, `media`; "
        "approved at once, sent inside the customer-service window) and Meta templates (`template`, sent "
        "after Meta's review), each with its business number, category, language, body and `status` "
        "(`Approved`, `Pending`, `Rejected`, `Paused`, `Disabled`; `reason` when Meta gave one). "
        "`filter[type]` and `filter[status]` (1 approved, 2 pending, 3 rejected) refuse other values (422).",
        parameters=S.TEMPLATE_QUERY,
        responses={200: envelope("WhatsappTemplates", many(S.TEMPLATE), paginated=True)},
    )
    def get(self, request):
        return self.paginated(_filtered_templates(self.account, request), template_data, "Templates List")

    @extend_schema(
        summary="Create WhatsApp template",
        description="Creates a template on one of the account's active business numbers (`number`). `type` "
        "`text`, `JSON` or `media` is a service template (`is_conversation` true), approved at once; "
        "`template` is a Meta template (`is_conversation` false) in a `category` (marketing, utility, "
        "authentication) and `language`, submitted to Meta's review and `PENDING` until it answers (the "
        "account is notified). `name`: letters, digits and underscores; its `alias` (`_` as `-`) is what "
        "sends name. Variables are `{{name}}`. A name the number has in that language, a bad payload or "
        "another account's number: 422.",
        request={"application/json": S.TEMPLATE_BODY},
        responses={200: envelope("WhatsappTemplateSaved", S.TEMPLATE_CREATED)},
        examples=[S.TEMPLATE_EXAMPLE],
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        template = message_templates.create(account=self.account, data=body)
        data = {
            "id": str(template.uuid),
            "name": template.name,
            "category": template.category,
            "language": template.language,
            "status": template.status,
            "is_conversation": "true" if template.is_conversation else "false",
            "created_at": resource_time(template.created_at),
        }
        return self.ok(data, "Template created successfully.")


class TemplateDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def _get(self, pk):
        return self.get_for_account(WhatsappTemplate.objects.select_related("number"), uuid=pk)

    @extend_schema(
        summary="View WhatsApp template",
        description="One WhatsApp template of the account by its `id` (UUID), as the list shows it. Another "
        "account's id, or no such template: 404.",
        responses={200: envelope("WhatsappTemplateData", S.TEMPLATE)},
    )
    def get(self, request, pk):
        return self.ok(template_data(self._get(pk)), "Templates List")

    @extend_schema(
        summary="Delete WhatsApp template",
        description="Removes a WhatsApp template from the account: sends naming it are refused from then "
        "on. Unknown id: 404.",
        responses={200: envelope("WhatsappTemplateDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        message_templates.delete(self._get(pk))
        return self.ok([], "Template Successfully Deleted")


class MediaList(V2APIView):
    """The media library: files uploaded once and sent by id."""

    required_scopes = reads_and(Scope.WRITE)
    body_limit_setting = "MAX_UPLOAD_BYTES"

    @extend_schema(
        summary="View WhatsApp media",
        description="Lists the media library: files the account uploaded once to send by id "
        "(`message.payload.id`), with their type, file name, MIME type and size. `filter[type]` (image, audio, video, "
        "document) narrows the list.",
        responses={200: envelope("WhatsappMediaList", many(S.MEDIA), paginated=True)},
    )
    def get(self, request):
        qs = WhatsappMedia.objects.for_account(self.account)
        kind = str(filter_params(request.query_params).get("type") or "")
        if kind:
            qs = qs.filter(kind=kind)
        return self.paginated(qs, media.data, "Media List")

    @extend_schema(
        summary="Upload WhatsApp media",
        description="Uploads a file to send later by its id: multipart `type` (image, audio, video, document) "
        "and `file`. Images are jpg or png up to 5 MB; audio (aac, mp4, m4a, amr, mp3, opus; not base ogg) and "
        "video (mp4, 3gp) up to 16 MB; documents up to 100 MB and not a media file. Anything else: 422 on "
        "`type` or `file`. The file reaches the Cloud API on its first send from each number.",
        request={"multipart/form-data": S.MEDIA_UPLOAD},
        responses={200: envelope("WhatsappMediaSaved", S.MEDIA)},
    )
    def post(self, request):
        kind = request.data.get("type") if hasattr(request.data, "get") else None
        item = media.upload(account=self.account, kind=kind, file=request.FILES.get("file"))
        return self.ok(media.data(item), "Media uploaded successfully.")


class MediaDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    @extend_schema(
        summary="View WhatsApp media item",
        description="One media item of the account by its `id` (UUID). Another account's id, or no such item: 404.",
        responses={200: envelope("WhatsappMediaData", S.MEDIA)},
    )
    def get(self, request, pk):
        return self.ok(media.data(self.get_for_account(WhatsappMedia.objects.all(), uuid=pk)), "Media")

    @extend_schema(
        summary="Delete WhatsApp media item",
        description="Deletes a media item and its stored file; sends naming its id are refused (422 on "
        "`message.payload.id`) from then on. Unknown id: 404.",
        responses={200: envelope("WhatsappMediaDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        media.delete(self.get_for_account(WhatsappMedia.objects.all(), uuid=pk))
        return self.ok([], "Media deleted successfully.")


def _meta(body):
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    if body.get("meta") not in (None, "") and not isinstance(body.get("meta"), dict):
        raise ValidationFailed({"meta": ["The meta must be an object."]})
    return meta


class SendTemplateView(V2APIView):
    """12. A service template by `alias` or `id`, its variables from `data`."""

    required_scopes = {"POST": Scope.SEND}

    @extend_schema(
        summary="Send WhatsApp service template",
        description="Sends a service template (`is_conversation` true), named by `alias` or `id`, from its "
        "business number, its variables filled from `data`, to `recipient.to` numbers and/or "
        "`recipient.group_id` segments. A service template is a free-form message: a customer outside the "
        "24-hour service window (no message from them in the last 24 hours) is refused per recipient "
        "(`notallowed`, `131047`), not charged. `meta` carries `foreign_id` (your reference; the idempotency "
        "key without the header), `webhook_id` and `tags`. An unknown template or a bad field: 422.",
        parameters=[IDEMPOTENCY_KEY],
        request={"application/json": S.SEND_TEMPLATE_BODY},
        responses={200: S.TEMPLATE_QUEUED},
        examples=[S.TEMPLATE_SEND_EXAMPLE],
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        errors = FieldErrors()
        meta = _meta(body)
        qs = WhatsappTemplate.objects.for_account(self.account).select_related("number").filter(is_conversation=True)
        template = None
        if body.get("id"):
            template = qs.filter(uuid=body["id"]).first() if is_uuid(str(body["id"])) else None
            if template is None:
                errors.add("id", "The selected id is invalid.")
        elif body.get("alias"):
            template = qs.filter(alias=as_text(body["alias"], "alias")).first()
            if template is None:
                errors.add("alias", "The selected alias is invalid.")
        else:
            errors.add("alias", "The alias field is required when id is not present.")
        if "data" in body and not isinstance(body["data"], dict):
            errors.add("data", "The data must be an object.")
        numbers = recipient_numbers(self.account, body.get("recipient"), errors)
        tags = tags_of(meta)
        errors.raise_if_any()
        parsed = service_templates.render(template, body.get("data") or {})
        foreign_id = as_text(meta.get("foreign_id") or "", "foreign_id")
        outgoing = outgoing_for(
            numbers,
            parsed,
            sender=template.number.number,
            foreign_id=foreign_id,
            webhook_id=as_text(meta.get("webhook_id") or "", "webhook_id"),
            data=body.get("data"),
        )
        submission = submit(
            account=self.account, outgoing=outgoing, api_key=request.auth, tags=tags, **idempotency(request, foreign_id)
        )
        data = [{**{k: v for k, v in item.items() if k != "to"}, "recipient": item["to"]} for item in submission.items]
        return Response({"status": "OK", "message": QUEUED, "data": data})


class MessageSendView(V2APIView):
    """13. Every `message.type`, channel-style (`channels[0].name` = whatsapp)."""

    required_scopes = {"POST": Scope.SEND}

    @extend_schema(
        summary="Send WhatsApp message",
        description="Sends any WhatsApp message type from a business number of the account "
        "(`channels[0].from`): `text` (4,096 characters), `image`, `audio`, `video`, `document` (by `url` or "
        "an uploaded media `id`), `interactive` (reply buttons, lists), `contacts`, `location`, or a Meta "
        "`template` (`name` or alias, `language`, `header_params`, `body_params`). Free-form types reach only "
        "customers inside the 24-hour service window; a template must be approved for that number and language "
        "and its parameters must match (422 otherwise). Refused recipients answer `notallowed` with `error` "
        "`{code, reason}` and are not charged. `meta.foreign_id` is the idempotency key without the header.",
        parameters=[IDEMPOTENCY_KEY],
        request={"application/json": channel_send_body("WhatsappMessageSendRequest")},
        responses={200: S.MESSAGE_QUEUED},
        examples=[S.MESSAGE_SEND_EXAMPLE],
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        errors = FieldErrors()
        entries = body.get("channels")
        entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else None
        if entry is None:
            errors.add("channels", "The channels field is required.")
            errors.raise_if_any()
        if str(entry.get("name") or "").lower() != CHANNEL:
            errors.add("channels.0.name", "The selected channels.0.name is invalid (whatsapp).")
        parsed = parse_channel_request(self.account, body, entry, errors)
        errors.raise_if_any()
        submission = submit(
            account=self.account,
            outgoing=parsed.outgoing,
            api_key=request.auth,
            tags=parsed.tags,
            **idempotency(request, parsed.foreign_id),
        )
        return Response({"status": "OK", "message": QUEUED, "data": submission.items})


def _times(account, messages):
    """{wamid: {status: first time}} from the status timeline, one query for a page."""
    wamids = [m.supplier_message_id for m in messages if m.supplier_message_id]
    rows = (
        StatusRecord.objects.for_account(account)
        .filter(wamid__in=wamids)
        .values("wamid", "status")
        .annotate(first=Min("at"))
    )
    times = {}
    for row in rows:
        times.setdefault(row["wamid"], {})[row["status"]] = row["first"]
    return times


def status_item(m, times):
    seen = times.get(m.supplier_message_id, {})
    delivered, read = seen.get("delivered"), seen.get("read")
    item = {
        "id": m.public_id,
        "channel": CHANNEL,
        "from": m.sender,
        "to": m.mobile,
        "credits": f"{m.charges:.4f}",
        "created_at": resource_time(m.submitted_at),
        "foreign_id": m.custom or None,
        "status": m.status,
        "delivered_at": delivered.strftime("%Y-%m-%d %H:%M:%S") if delivered else None,
        "read_at": resource_time(read) if read else None,
    }
    if error := provider_errors.error_object(m.status_code):
        item["error"] = error
    return item


class StatusView(V2APIView):
    """14. Pull statuses by message `id` or `mobile`."""

    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="Pull WhatsApp status",
        description="Statuses of the account's WhatsApp messages by `id` (a message id from a send, "
        "`<group id>:<index>`) or `mobile` (that customer's newest 100): `queued`, `dispatched`, `sent`, "
        "`delivered`, `read`, `deleted` or `failed` (with `error`), the credits and the delivery and read "
        "times. Neither selector, or a malformed id: 422.",
        parameters=S.STATUS_QUERY,
        responses={200: envelope("WhatsappStatusPull", many(S.STATUS_ITEM))},
    )
    def get(self, request):
        q = request.query_params
        qs = Message.objects.for_account(self.account).filter(channel=CHANNEL).select_related("batch")
        if q.get("id"):
            group, _, index = q["id"].partition(":")
            if not (is_uuid(group) and index.isdigit()):
                raise ValidationFailed({"id": ["The id must be a message id (<group id>:<index>)."]})
            # A recipient refused before pricing has no message row (messaging.pipeline.outcomes).
            found = outcomes.find(self.account, group, int(index), channel=CHANNEL)
            return self.ok([status_item(found, _times(self.account, [found]))] if found else [], "OK")
        elif q.get("mobile"):
            qs = qs.filter(mobile=digits_of(q["mobile"])).order_by("-submitted_at", "-id")
        else:
            raise ValidationFailed({"id": ["The id field is required when mobile is not present."]})
        paginator = V2Pagination(page_size=100)
        page = paginator.paginate_queryset(qs, request, view=self)
        times = _times(self.account, page)
        return self.ok([status_item(m, times) for m in page], "OK")


def whatsapp_price_data(row, request=None):
    return {**price_data(row, request), "sub_service": row.sub_service or None, "service_name": "Whatsapp"}


class PricingView(V2APIView):
    """15. The WAP rate card with its category sub-services."""

    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="View WhatsApp pricing",
        description="The account's WhatsApp rate card per country: the base price (`sub_service` null) and the "
        "price per message category (`WMC` marketing, `WUC` utility, `WAA` authentication, `WSC` service). A "
        "category without its own row costs the country's base price. An unknown `filter[subservice]`: 422.",
        parameters=S.PRICING_QUERY,
        responses={200: envelope("WhatsappPricing", many(S.PRICE), paginated=True)},
    )
    def get(self, request):
        sub = filter_params(request.query_params).get("subservice")
        if sub and str(sub).upper() not in SUB_SERVICES.values():
            raise ValidationFailed(
                {
                    "filter[subservice]": [
                        f"The selected filter[subservice] is invalid ({', '.join(SUB_SERVICES.values())})."
                    ]
                }
            )
        qs = rate_card(self.account).filter(product__code=PRODUCT).order_by("iso", "sub_service")
        return self.paginated(apply_filterset(PriceFilterSet, request, qs), whatsapp_price_data, "Pricing List")


def optout_data(u):
    return {"receiver": u.receiver, "iso": u.iso, "created_at": resource_time(u.created_at), "id": u.pk}


class OptOutView(V2APIView):
    """16. Add a number to the WhatsApp opt-out list (every message on the channel)."""

    required_scopes = {"POST": Scope.WRITE}

    @extend_schema(
        summary="Add number to WhatsApp opt-out",
        description="Puts a number (`number`, with its country code) on the account's WhatsApp opt-out list: "
        "no WhatsApp message of any kind reaches it (refused per recipient) until it is removed. Adding a "
        "number already on it answers the existing entry. A missing or invalid number: 422 on `number`.",
        request=S.OPTOUT_BODY,
        responses={200: envelope("WhatsappOptOutAdded", S.OPTOUT)},
    )
    def post(self, request):
        number = as_text(request.data.get("number") if isinstance(request.data, dict) else None, "number")
        if not number.strip():
            raise ValidationFailed({"number": ["The number field is required."]})
        try:
            entry = consent.opt_out(
                account=self.account, channel=CHANNEL, receiver=number, scope=ScopeType.ALL, request=request._request
            )
        except ValidationFailed as exc:  # the catalog calls the receiver `number` here
            raise ValidationFailed({"number" if k == "receiver" else k: v for k, v in exc.errors.items()}) from None
        return self.ok(optout_data(entry), "Number added to optout list")


class OptOutDetail(V2APIView):
    """17. Remove a number from the opt-out list."""

    required_scopes = {"DELETE": Scope.WRITE}

    @extend_schema(
        summary="Remove number from WhatsApp opt-out",
        description="Takes a number off the account's WhatsApp opt-out list (the whole-channel opt-out; its "
        "other opt-outs stay). A number not on the list: 404.",
        responses={200: envelope("WhatsappOptOutDeleted", EMPTY_LIST)},
    )
    def delete(self, request, number):
        digits = digits_of(number)
        exists = Unsubscriber.objects.for_account(self.account).filter(
            channel=CHANNEL, receiver=digits, type=ScopeType.ALL
        )
        if not digits or not exists.exists():
            raise NotFound("Not Found.")  # the envelope of every 404: nothing about other accounts
        consent.opt_in(
            account=self.account, channel=CHANNEL, receiver=digits, scope=ScopeType.ALL, request=request._request
        )
        return self.ok([], "Deleted successfully")
