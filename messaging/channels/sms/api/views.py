"""v2 send endpoints (sms/send GET/POST, sms/send/json) and the DLR pull (sms/status)."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from messaging.channels.sms.api import schema as S
from messaging.channels.sms.render import render_template
from messaging.channels.sms.sending import Outgoing, submit
from messaging.pipeline import outcomes, recipients
from messaging.pipeline.api import idempotency
from messaging.pipeline.models import Batch, State
from messaging.pipeline.submit import message_time
from messaging.reports import summary, usage
from messaging.senders.models import ReviewStatus, Template
from portal.api.pagination import V2Pagination
from portal.api.responses import large_json
from portal.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, envelope, many
from portal.api.scopes import Scope
from portal.api.views import V2APIView
from portal.core import rules
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import digits_of
from portal.core.tenancy import is_uuid
from portal.core.text import as_text

NODE_FORBIDDEN = ("webhook_id", "service", "time")
FIELDS = ("sender", "message", "type", "flash", "custom", "port", "template_id", "entity_id", "max_units", "webhook_id")


def _flag(value):
    return str(value).strip() in {"1", "true", "True"}


def _int_or_none(value, field, errors):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[field] = [f"The {field.replace('_', ' ')} must be an integer."]
        return None


def _schedule(value, errors):
    if not value:
        return None
    try:
        naive = datetime.strptime(str(value).strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        errors["time"] = ["The time does not match the format Y-m-d H:i:s."]
        return None
    return timezone.make_aware(naive)


def _recipients(value):
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _outgoing(params, recipients, errors, prefix=""):
    common = _common(params, errors, prefix)
    return [Outgoing(to=to, **common) for to in recipients]


def _common(params, errors, prefix=""):
    """The Outgoing fields besides `to`, read once, not per recipient: a bulk request has 100,000."""
    return {
        "sender": str(params.get("sender") or "").strip(),
        "message": str(params.get("message") or ""),
        "type": str(params.get("type") or "A").upper(),
        "flash": _flag(params.get("flash")),
        "custom": str(params.get("custom") or ""),
        "port": str(params.get("port") or ""),
        "template_id": str(params.get("template_id") or ""),
        "entity_id": str(params.get("entity_id") or ""),
        "max_units": _int_or_none(params.get("max_units"), f"{prefix}max_units", errors),
        "webhook_id": str(params.get("webhook_id") or ""),
    }


def _submit(view, request, params, outgoing, schedule):
    """The classic sends' common call: `params` holds service, name, custom and tags."""
    return submit(
        account=view.account,
        product_code=params.get("service"),
        outgoing=outgoing,
        name=str(params.get("name") or ""),
        schedule=schedule,
        api_key=request.auth,
        **idempotency(request, params.get("custom")),
        tags=_tags(params),
        rules_version=rules.request_versions(request, view.account),
    )


def classic_response(submission, *, group_id=True):
    count = submission.batch.accepted
    body = {"status": 200, "message": f"{count} numbers accepted for delivery."}
    if group_id:
        body["group_id"] = str(submission.batch.uuid)
    body["data"] = submission.items
    return large_json(body)


class SendView(V2APIView):
    """`sms/send`: form, JSON or (legacy) query-string parameters."""

    required_scopes = {"GET": Scope.SEND, "POST": Scope.SEND}  # GET: the legacy query-string send
    # The CRM connectors built on this endpoint test `status == "ERROR"` (and `code == 422`) to show
    # the reason of a refusal (docs/api.md, "Published clients").
    error_status = "ERROR"

    def _send(self, request, params):
        errors = {}
        recipients = _recipients(params.get("to"))
        outgoing = _outgoing(params, recipients, errors)
        schedule = _schedule(params.get("time"), errors)
        if errors:
            raise ValidationFailed(errors)
        return classic_response(_submit(self, request, params, outgoing, schedule))

    @extend_schema(
        summary="Send SMS",
        description="Sends one text from an approved `sender` on a `service` to one or more numbers (`to`: a "
        "comma list or an array, country code included; at most 100,000). JSON or form body; parameters in the "
        "query string of a POST count as body fields. `type` A (auto, default), N (GSM) or U (Unicode) sets the "
        "encoding, `max_units` caps the parts, `time` (`yyyy-mm-dd hh:mm:ss`, 5 minutes to 30 days ahead) "
        "schedules it, `custom` is your reference (echoed as `customid` and in delivery reports). Every "
        "recipient gets an item: accepted ones `AWAITING-DLR` (or `SCHEDULED`) and charged, refused ones their "
        "DLR status (`INV-NUMBER`, `OPTOUT-REJ`, `TEMPLATE-NOT-FOUND`, ...) and `charges: 0`. Errors answer "
        '`status: "ERROR"`: a missing field, a service the account does not have, a bad value or too few '
        "credits (nothing sent or charged) is a 422; over the account's recipients per minute a 429. "
        "Retries with the same `Idempotency-Key` or `custom` answer the first answer and send nothing twice.",
        parameters=[IDEMPOTENCY_KEY],
        request={"application/json": S.SEND_BODY, "application/x-www-form-urlencoded": S.SEND_BODY},
        responses={200: S.SEND_ACCEPTED},
        examples=[S.SEND_EXAMPLE],
    )
    def post(self, request):
        return self._send(request, request.data)

    @extend_schema(
        summary="Send SMS via query string (legacy)",
        description="The same send as `POST sms/send`, its fields url-encoded in the query string (and the key "
        "as `access_token` where a header cannot be set), for clients built on the old documentation. Prefer "
        "the POST: query strings end up in logs. Same answers and errors.",
        parameters=[*S.SEND_QUERY, IDEMPOTENCY_KEY],
        responses={200: S.SEND_ACCEPTED},
    )
    def get(self, request):
        return self._send(request, request.query_params)


def _tags(params):
    meta = params.get("meta") if hasattr(params, "get") else None
    tags = (meta or {}).get("tags") if isinstance(meta, dict) else params.get("tags")
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if tags in (None, ""):
        return ()
    if not isinstance(tags, list | tuple):
        raise ValidationFailed({"tags": ["The tags must be a list or a comma-separated string."]})
    return tuple(as_text(t, "tags") for t in tags)


class SendJsonView(V2APIView):
    """`sms/send/json`: `root` defaults with per-recipient `nodes`."""

    body_limit_setting = "SEND_JSON_MAX_BODY_BYTES"  # 100,000 filled nodes (portal/settings.py)
    required_scopes = {"POST": Scope.SEND}

    @extend_schema(
        summary="Send SMS using a JSON object",
        description="Sends per-recipient messages in one request: `root` holds the defaults (`sender`, "
        "`message`, `service`, `type`, `flash`, `time`, `webhook_id`, `custom`, DLT ids, `name`) and each of "
        "`nodes` a `to` and any of `sender`, `message`, `type`, `flash`, `custom`, `port`, `template_id`, "
        "`entity_id`, `max_units` overriding them (`webhook_id`, `service` and `time` only in `root`). "
        "Bodies up to 160 MB (100,000 filled nodes). `group_id` is answered only when `root.name` is given. "
        "Errors name the node (`nodes.3.to`); refusals, idempotency (`root.custom`) and limits as on "
        "`sms/send`.",
        parameters=[IDEMPOTENCY_KEY],
        request={"application/json": S.SEND_JSON_BODY},
        responses={200: S.SEND_JSON_ACCEPTED},
        examples=[S.SEND_JSON_EXAMPLE],
    )
    def post(self, request):
        root = request.data.get("root")
        nodes = request.data.get("nodes")
        errors = {}
        if not isinstance(root, dict):
            errors["root"] = ["The root field is required and must be an object."]
        if not isinstance(nodes, list) or not nodes:
            errors["nodes"] = ["The nodes field is required and must be a list."]
        if errors:
            raise ValidationFailed(errors)
        outgoing = []
        # Most nodes of a bulk send are `{"to": "<one number>"}`: they share the root's fields,
        # read once. A root whose fields have an error takes the general path, which names the
        # error per node.
        root_errors = {}
        shared = _common({k: root.get(k) for k in FIELDS}, root_errors)
        if root_errors:
            shared = None
        for i, node in enumerate(nodes):
            if shared is not None and type(node) is dict and len(node) == 1:
                to = node.get("to")
                if type(to) is str and "," not in to and (to := to.strip()):
                    outgoing.append(Outgoing(to=to, **shared))
                    continue
            if not isinstance(node, dict):
                errors[f"nodes.{i}"] = ["Each node must be an object."]
                continue
            for name in NODE_FORBIDDEN:
                if name in node:
                    errors[f"nodes.{i}.{name}"] = [f"The {name.replace('_', ' ')} can only be set in root."]
            if not str(node.get("to") or "").strip():
                errors[f"nodes.{i}.to"] = ["The to field is required."]
            merged = {**{k: root.get(k) for k in FIELDS}, **{k: node[k] for k in FIELDS if k in node}}
            outgoing.extend(_outgoing(merged, _recipients(node.get("to")), errors, prefix=f"nodes.{i}."))
        schedule = _schedule(root.get("time"), errors)
        if errors:
            raise ValidationFailed(errors)
        # Catalogued: group_id only when a campaign name is sent.
        return classic_response(_submit(self, request, root, outgoing, schedule), group_id=bool(root.get("name")))


def dlr_record(message):
    return {
        "id": f"{message.batch.uuid}:{message.index}",
        "mobile": message.mobile,
        "status": message.status,
        "units": message.units,
        "service": message.product_code,
        "length": message.length,
        "charges": float(message.charges),
        "custom": message.custom,
        "custom1": "",
        "location": message.iso,
        "provider": "",
        "submitted_at": message_time(message.submitted_at),
        "delivered_at": message_time(message.delivered_at) if message.state == State.FINAL else "",
        "sender": message.sender,
    }


class StatusView(V2APIView):
    """`sms/status`: pull delivery reports by id, mobile, cid, date or group_id."""

    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="Pull DLR status",
        description="Delivery reports of the account's SMS by one selector, read in this order: `id` (a "
        "message id from a send's answer, `<group id>:<n>`), `mobile`, `cid` (your `custom`), `group_id` (a "
        "send's) or `date` (`yyyy-mm-dd`, the day it was sent). `group_id` and `date` answer pages of 100 "
        "with `links`/`meta`. Each record has the status, units, charges, submit and delivery times; "
        "recipients refused at the send are answered with their refusal and `charges: 0`. No selector, or "
        "a malformed date: 422.",
        parameters=[*S.STATUS_QUERY, *PAGE_PARAMETERS],
        responses={200: envelope("DlrStatus", many(S.DLR), sometimes_paginated=True)},
    )
    def get(self, request):
        # Recipients refused before pricing are no message rows; `outcomes` reads them beside the
        # rows, so every id a send answered has its record here (docs/api.md, "Large refusals").
        q = request.query_params
        if q.get("id"):
            group, _, index = q["id"].partition(":")
            found = outcomes.find(self.account, group, int(index)) if is_uuid(group) and index.isdigit() else None
            return self.ok([dlr_record(found)] if found else [], "OK")
        if q.get("mobile"):
            return self.ok(
                [dlr_record(m) for m in outcomes.matching(self.account, mobile=digits_of(q["mobile"]))], "OK"
            )
        if q.get("cid"):
            return self.ok([dlr_record(m) for m in outcomes.matching(self.account, custom=q["cid"])], "OK")
        batches = Batch.objects.for_account(self.account).order_by("id")
        if q.get("group_id"):
            batch = batches.filter(uuid=q["group_id"]).first() if is_uuid(q["group_id"]) else None
            return self._page(outcomes.BatchRecipients(batch) if batch else [])
        if q.get("date"):
            try:
                day = datetime.strptime(q["date"], "%Y-%m-%d").date()
            except ValueError:
                raise ValidationFailed({"date": ["The date does not match the format Y-m-d."]}) from None
            # A batch's recipients share its submit time (Batch.created_at is that time); the day's
            # bounds in the current time zone, so the created_at index serves the range.
            since = timezone.make_aware(datetime.combine(day, time.min))
            until = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
            return self._page(outcomes.BatchesRecipients(batches.filter(created_at__gte=since, created_at__lt=until)))
        raise ValidationFailed({"id": ["One of id, mobile, cid, date or group_id is required."]})

    def _page(self, recipients):
        paginator = V2Pagination(page_size=100)
        page = paginator.paginate_queryset(recipients, self.request, view=self)
        return paginator.get_paginated_response([dlr_record(m) for m in page], "OK")


def _recipient_numbers(recipient, errors, field="recipient", *, account):
    """`recipient.to` numbers plus the mobile numbers of the `recipient.group_id` segments (contacts)."""
    if not isinstance(recipient, dict):
        errors[field] = ["The recipient field is required and must be an object."]
        return []
    numbers = _recipients(recipient.get("to"))
    group = recipient.get("group_id")
    if group not in (None, "", []):
        try:
            # Segment numbers are E.164 digits already; a number also listed in `to` is sent once.
            everyone = recipients.resolve(account, numbers=numbers, segment_ids=group)
        except ValidationFailed as exc:
            errors[f"{field}.group_id"] = next(iter(exc.errors.values()))
            return []
        if not everyone:
            errors[f"{field}.group_id"] = ["The selected segment has no subscribed mobile numbers."]
        numbers = everyone
    elif not numbers:
        errors[f"{field}.to"] = ["The recipient.to field is required when recipient.group_id is not present."]
    return numbers


class TemplateSendView(V2APIView):
    """`sms/send/template`: an approved template by `alias` or `id`, variables from `data`."""

    required_scopes = {"POST": Scope.SEND}

    @extend_schema(
        summary="Send template message",
        description="Sends an approved SMS template, named by its `alias` or `id` (UUID or DLT template id), "
        "with its variables filled from `data` (every `{{name}}` of the body is required: 422 on `data.<name>`), "
        "from the template's sender and service. `recipient.to` lists numbers, `recipient.group_id` segment "
        "ids whose subscribed mobile numbers are added (a number listed twice is sent once). `meta` carries "
        "`foreign_id` (your reference, also the idempotency key without the header), `flash`, `webhook_id` "
        "and `tags`. An unknown or unapproved template, an unknown segment or one without numbers: 422.",
        parameters=[IDEMPOTENCY_KEY],
        request={"application/json": S.TEMPLATE_SEND_BODY},
        responses={200: S.SEND_ACCEPTED},
        examples=[S.TEMPLATE_SEND_EXAMPLE],
    )
    def post(self, request):
        body = request.data
        errors = {}
        ref_alias, ref_id = str(body.get("alias") or "").strip(), str(body.get("id") or "").strip()
        template = None
        qs = Template.objects.for_account(self.account).select_related("sender__product")
        if ref_alias:
            template = qs.filter(alias=ref_alias).first()
        elif ref_id:
            template = qs.filter(uuid=ref_id).first() if is_uuid(ref_id) else qs.filter(template_id=ref_id).first()
        else:
            errors["alias"] = ["The alias field is required when id is not present."]
        if (ref_alias or ref_id) and template is None:
            errors["alias" if ref_alias else "id"] = ["The selected template is invalid."]
        elif template is not None and template.status != ReviewStatus.APPROVED:
            errors["alias" if ref_alias else "id"] = ["The template is not approved yet."]
        data = body.get("data") if isinstance(body.get("data"), dict) else None
        if data is None:
            errors["data"] = ["The data field is required and must be an object."]
        numbers = _recipient_numbers(body.get("recipient"), errors, account=self.account)
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        text = ""
        if template is not None and data is not None:
            text, missing = render_template(template.body, data)
            for name in missing:
                errors[f"data.{name}"] = [f"The {name} value is required by the template."]
        if errors:
            raise ValidationFailed(errors)
        outgoing = [
            Outgoing(
                to=to,
                sender=template.sender.name,
                message=text,
                flash=_flag(meta.get("flash")),
                custom=str(meta.get("foreign_id") or ""),
                template_id=template.template_id,
                entity_id=template.entity_id,
                webhook_id=str(meta.get("webhook_id") or ""),
            )
            for to in numbers
        ]
        submission = submit(
            account=self.account,
            product_code=template.sender.product.code,
            outgoing=outgoing,
            api_key=request.auth,
            **idempotency(request, meta.get("foreign_id")),
            tags=_tags({"tags": meta.get("tags")}),
            rules_version=rules.request_versions(request, self.account),
        )
        return classic_response(submission)


class ReportView(V2APIView):
    """`sms/report`: message counts per day and status for a date range."""

    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="Pull status summary report",
        description="Counts the account's SMS per day and current status (`DELIVRD`, `AWAITING-DLR`, refusals, "
        "...) over `daterange` (`yyyy-mm-dd|yyyy-mm-dd`, both days included, in the account's time zone, at "
        "most 92 days; absent: the last 7 days). Recipients refused before pricing count under their status. "
        "A malformed, reversed or longer range: 422.",
        parameters=S.REPORT_QUERY,
        responses={200: S.REPORT},
    )
    def get(self, request):
        raw = request.query_params.get("daterange", "")
        if not raw.strip():  # no range: the last 7 days (docs/api.md)
            start, end = summary.default_range(self.account)
        else:
            start_text, _, end_text = raw.partition("|")
            try:
                start = datetime.strptime(start_text.strip(), "%Y-%m-%d").date()
                end = datetime.strptime(end_text.strip(), "%Y-%m-%d").date()
            except ValueError:
                raise ValidationFailed({"daterange": ["The daterange must look like yyyy-mm-dd|yyyy-mm-dd."]}) from None
        if end < start or (end - start).days > summary.MAX_DAYS:
            raise ValidationFailed({"daterange": ["The date range must be in order and at most 3 months long."]})
        # Days are the account's (its time zone), counted from the report rollups (which count the
        # recipients refused before pricing too).
        data = {}
        for day, statuses in summary.status_by_day(self.account, start, end, channel="sms").items():
            data[day.isoformat()] = {"date": day.isoformat(), "status": statuses}
        return Response({"status": 200, "message": "OK", "data": data})


class ActivityView(V2APIView):
    """`sms/activity` (docs only): the account usage report per day and service, newest first,
    in the legacy paginator (25 rows, no envelope). Figures from the report rollups."""

    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="View account usage report",
        description="The account's usage per day and service, newest day first, 25 rows a page (`page`) in "
        "the legacy paginator under `rows` (no envelope): the general wallet's balance at the start "
        "(`opening`) and end (`available`) of the day, the units sent and their cost net of refunds, and the "
        "units delivered so far.",
        parameters=PAGE_PARAMETERS,
        responses={200: S.USAGE},
    )
    def get(self, request):
        paginator = V2Pagination(page_size=25)
        page_rows = paginator.paginate_queryset(usage.days(self.account), request, view=self)
        links, meta = paginator.links_and_meta()
        first = meta["from"] or 1
        rows = {
            "current_page": meta["current_page"],
            "data": usage.rows(self.account, page_rows, first_serial=first),
            "first_page_url": links["first"],
            "from": meta["from"],
            "last_page": meta["last_page"],
            "last_page_url": links["last"],
            "links": meta["links"],
            "next_page_url": links["next"],
            "path": meta["path"],
            "per_page": meta["per_page"],
            "prev_page_url": links["prev"],
            "to": meta["to"],
            "total": meta["total"],
        }
        return Response({"rows": rows})
