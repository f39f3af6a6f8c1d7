"""The v2 voice endpoints (catalog voice.md, operations 1-9 and 17-19; 10-16 are the shared
unsubscriber views of messaging.suppressions on the voice channel)."""

import time
from datetime import datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from portal.api.filters import filter_params
from portal.api.schema import envelope, many
from portal.api.scopes import Scope
from portal.api.views import V2APIView
from portal.core import counters, text
from portal.core.errors import ValidationFailed
from portal.core.tenancy import is_uuid
from voice.api import formats
from voice.api import schema as S
from voice.models import Call, Conference, Recording, VmnLog
from voice.services import calls, conferences, pricing, sounds, tts_calls

VARIABLE_KEY = "variables["


def _field(data, name, *aliases):
    for key in (name, *aliases):
        value = data.get(key)
        if value not in (None, ""):
            return value
    return None


def _variables(data):
    """`variables[Name]` form fields, or a `variables` object (JSON)."""
    found = data.get("variables")
    if found not in (None, "") and not isinstance(found, dict):
        raise ValidationFailed({"variables": ["The variables must be an object of name: value."]})
    values = dict(found or {})
    for key in data:
        if key.startswith(VARIABLE_KEY) and key.endswith("]"):
            values[key[len(VARIABLE_KEY) : -1]] = data.get(key)
    return values


def _str(data, name):
    return text.as_text(data.get(name), name) if data.get(name) is not None else ""


def _options(data):
    options = data.get("options")
    if options in (None, ""):
        options = {}
        for key in data:  # form posts: options[voiceid], options[break][time]
            if key.startswith("options[") and key.endswith("]"):
                path = key[len("options[") : -1].split("][")
                target = options
                for part in path[:-1]:
                    target = target.setdefault(part, {})
                target[path[-1]] = data.get(key)
    if not isinstance(options, dict):
        raise ValidationFailed({"options": ["The options must be an object."]})
    return options or None


class OutgoingSend(V2APIView):
    required_scopes = {"POST": Scope.SEND}

    @extend_schema(summary="Create outgoing call", request=S.OUTGOING_BODY, responses={200: S.CALLS_QUEUED})
    def post(self, request):
        data = request.data
        placed = calls.outgoing(
            account=self.account,
            bridge=_str(data, "bridge"),
            to=_str(data, "to"),
            flow_id=_field(data, "flow_id", "ivr_id"),
            audio=_str(data, "audio"),
            variables=_variables(data),
            name=_str(data, "name"),
            interval=_field(data, "interval"),
            webhook_id=_str(data, "webhook_id"),
            foreign_id=_str(data, "foreign_id") or _str(data, "cid"),
            api_key=request.auth,
        )
        return self.ok([formats.queued_item(c) for c in placed], "Calls queued successfully", include_code=False)


class OutgoingBulk(V2APIView):
    required_scopes = {"POST": Scope.SEND}
    body_limit_setting = "VOICE_BULK_MAX_BODY_BYTES"  # 50,000 recipients with variables

    @extend_schema(
        summary="Create bulk outgoing calls",
        request={"application/json": S.BULK_BODY},
        responses={200: S.BULK_QUEUED},
    )
    def post(self, request):
        data = request.data
        group, placed, _skipped = calls.bulk(
            account=self.account,
            bridge=_str(data, "bridge"),
            payload=data.get("payload"),
            flow_id=_field(data, "flow_id", "ivr_id"),
            audio=_str(data, "audio"),
            name=_str(data, "name"),
            webhook_id=_str(data, "webhook_id"),
            api_key=request.auth,
        )
        items = [formats.queued_item(c) for c in placed[:1000]]  # the first thousand; all are in voice/calls
        return self.ok(
            items, f"{len(placed)} numbers queued successfully.", group_id=str(group.uuid), total=len(placed)
        )


class OutgoingTts(V2APIView):
    required_scopes = {"POST": Scope.SEND}

    @extend_schema(summary="Create text to speech call", request=S.TTS_BODY, responses={200: S.CALLS_QUEUED})
    def post(self, request):
        data = request.data
        placed = tts_calls.outgoing_tts(
            account=self.account,
            bridge=_str(data, "bridge"),
            to=_str(data, "to"),
            text=_str(data, "text"),
            options=_options(data),
            name=_str(data, "name"),
            webhook_id=_str(data, "webhook_id"),
            interval=_field(data, "interval"),
            api_key=request.auth,
        )
        return self.ok([formats.queued_item(c) for c in placed], "Calls queued successfully", include_code=False)


class ClickToCall(V2APIView):
    required_scopes = {"POST": Scope.SEND}

    @extend_schema(summary="Click2Call", request=S.C2C_BODY, responses={200: S.CALL_INITIATED})
    def post(self, request):
        data = request.data
        call = calls.click_to_call(
            account=self.account,
            bridge=_str(data, "bridge"),
            call_from=_str(data, "from"),
            to=_str(data, "to"),
            record=_field(data, "record"),
            attempts=_field(data, "attempts"),
            mid=_str(data, "mid"),
            webhook_id=_str(data, "webhook_id"),
            duration=_field(data, "duration"),
            variables=_variables(data),
            api_key=request.auth,
        )
        return Response({"callId": str(call.uuid), "message": "call initiated successfully", "status": 200})


def _calls(account):
    return Call.objects.for_account(account).prefetch_related(
        Prefetch("recordings", queryset=Recording.objects.order_by("pk"))
    )


class CallLogs(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="Call logs report",
        parameters=S.CALLS_QUERY,
        responses={200: envelope("CallLogs", many(S.CALL_LOG), paginated=True)},
    )
    def get(self, request):
        qs = _calls(self.account)
        value = request.query_params.get("datetime[end_at]")
        if value:
            start, end = formats.date_range(value, "datetime[end_at]")
            qs = qs.filter(end_at__gte=start, end_at__lt=end)
        return self.paginated(qs.order_by("-created_at", "-id"), formats.call_log)


class RecordingLogs(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="Call recordings report",
        parameters=S.RECORDINGS_QUERY,
        responses={200: envelope("Recordings", many(S.RECORDING_LOG), paginated=True)},
    )
    def get(self, request):
        qs = Recording.objects.for_account(self.account).select_related("call")
        value = request.query_params.get("datetime[r.created_at]")
        if value:
            start, end = formats.date_range(value, "datetime[r.created_at]")
            qs = qs.filter(created_at__gte=start, created_at__lt=end)
        return self.paginated(qs.order_by("-created_at", "-id"), formats.recording_log)


class CallStatusView(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(summary="Call status", parameters=S.CALL_STATUS_QUERY, responses={200: S.CALL_STATUS})
    def get(self, request):
        params = request.query_params
        qs = Call.objects.for_account(self.account)
        if params.get("id"):
            qs = qs.filter(uuid=params["id"]) if is_uuid(params["id"]) else qs.none()
        elif params.get("cid"):
            qs = qs.filter(foreign_id=params["cid"])
        elif params.get("mobile"):
            qs = qs.filter(to=params["mobile"].lstrip("+"))
        elif params.get("date"):
            start, end = _day(params["date"])
            qs = qs.filter(created_at__gte=start, created_at__lt=end)
        else:
            raise ValidationFailed({"id": ["One of id, cid, mobile or date is required."]})
        rows = [formats.call_status(c) for c in qs.order_by("-created_at", "-id")[:100]]
        return self.ok(rows, "OK", status_value=200, include_code=False)


def _day(value):
    try:
        day = datetime.strptime(str(value).strip()[:10], "%Y-%m-%d")
    except ValueError:
        raise ValidationFailed({"date": ["The date must be YYYY-MM-DD."]}) from None
    start = timezone.make_aware(day)
    return start, start + timedelta(days=1)


class SoundCreate(V2APIView):
    required_scopes = {"POST": Scope.WRITE}

    @extend_schema(
        summary="Create sound file",
        request={"multipart/form-data": S.SOUND_BODY},
        responses={200: envelope("SoundUploaded", S.SOUND)},
    )
    def post(self, request):
        sound = sounds.create_sound(
            account=self.account,
            upload=request.FILES.get("audio"),
            name=_str(request.data, "name"),
            request=request._request,
        )
        return self.ok({"id": str(sound.uuid)}, "Sound uploaded successfully")


class VoicePricing(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="View voice pricing",
        parameters=S.PRICING_QUERY,
        responses={200: envelope("VoicePricing", many(S.PRICE), paginated=True)},
    )
    def get(self, request):
        qs = pricing.rate_card(self.account)
        filters = filter_params(request.query_params)
        for name, column in (("iso", "iso"), ("service", "service"), ("subservice", "sub_service")):
            if filters.get(name):
                qs = qs.filter(**{f"{column}__iexact": filters[name]})
        if filters.get("status") not in (None, ""):
            if filters["status"] not in ("0", "1"):
                raise ValidationFailed({"filter[status]": ["The filter[status] must be 0 or 1."]})
            qs = qs.filter(is_active=filters["status"] == "1")
        return self.paginated(qs.order_by("iso", "service", "sub_service"), formats.price, "Pricing List")


class ConferenceList(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(summary="List conferences", parameters=S.LEGACY_PAGE_QUERY, responses={200: S.CONFERENCES})
    def get(self, request):
        qs = Conference.objects.for_account(self.account).order_by("-created_at", "-id")
        page = formats.legacy_page(request, qs, formats.conference, 15)
        return Response({"status": "OK", "data": page})


class ConferenceCreate(V2APIView):
    required_scopes = {"POST": Scope.WRITE}

    @extend_schema(summary="Create conference", request=S.CONFERENCE_BODY, responses={200: S.CONFERENCE_CREATED})
    def post(self, request):
        data = request.data
        conference = conferences.create_conference(
            account=self.account,
            name=_str(data, "name"),
            max_people=_field(data, "max_people"),
            validity=_field(data, "validity"),
            request=request._request,
        )
        body = formats.conference(conference)
        del body["name"], body["number"]
        return self.ok(body, "Success", include_code=False)


class VmnThrottle(BaseThrottle):
    """vmn/logs' own limit: 30 requests a minute per key, besides the account's general one."""

    LIMIT = 30

    def allow_request(self, request, view):
        key = getattr(request, "auth", None)
        ident = f"key:{key.pk}" if key is not None and hasattr(key, "pk") else "anonymous"
        now = time.time()
        self.wait_seconds = max(1, int(60 - (now % 60)) + 1)
        count = counters.incr(f"ratelimit:vmn:{ident}:{int(now // 60)}", timeout=70)
        return count <= self.LIMIT

    def wait(self):
        return self.wait_seconds


class VmnLogs(V2APIView):
    required_scopes = {"GET": Scope.READ}

    def get_throttles(self):
        return [*super().get_throttles(), VmnThrottle()]

    @extend_schema(summary="View VMN (Interact) logs", parameters=S.VMN_QUERY, responses={200: S.VMN_LOGS})
    def get(self, request):
        qs = VmnLog.objects.for_account(self.account)
        filters = filter_params(request.query_params)
        if filters.get("mobile"):
            qs = qs.filter(mobile=filters["mobile"].lstrip("+"))
        if filters.get("number"):
            qs = qs.filter(number=filters["number"].lstrip("+"))
        day = request.query_params.get("date[created_at]")
        if day:
            start, end = _day(day)
            qs = qs.filter(created_at__gte=start, created_at__lt=end)
        page = formats.legacy_page(request, qs.order_by("-created_at", "-id"), formats.vmn_log, 25, serial=True)
        return Response({"rows": page})
