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

    @extend_schema(
        summary="Create outgoing call",
        description="Calls one number (`to`) from a bridge number of the account (`bridge`) and runs a flow "
        "(`flow_id`, alias `ivr_id`) or plays a sound (`audio`: a sound id or an http(s) URL). Every variable "
        "the flow reads is required (`variables[Name]` or a `variables` object). `interval` (5, 15, 30, 45 or "
        "60 minutes) retries once when the call was busy, unanswered or congested. The answer's `credits` are "
        "reserved for the call's longest duration. A number opted out of voice, another account's bridge or "
        "flow, a missing variable: 422.",
        request=S.OUTGOING_BODY,
        responses={200: S.CALLS_QUEUED},
    )
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
        description="Queues calls to many recipients from one bridge: `payload` lists `{to, audio?, "
        "variables?}` (at most 50,000; a number listed twice is called once; bodies up to 32 MB), each running "
        "the `flow_id` or playing its `audio`. Numbers opted out of voice are skipped (422 if none is left). "
        "`data` shows the first 1,000 queued calls, `total` counts them all (`voice/calls` lists each).",
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

    @extend_schema(
        summary="Create text to speech call",
        description="Calls a number and speaks `text` (literally: braces are not placeholders) with "
        "`options`: a voice id or language (unknown ones: 422 on `options.voiceid` / `options.language`), "
        "`iteration_tries` 1-5, `iteration_delay` and `break.time` 0-10 s. Bridge, retry `interval`, opt-outs "
        "and credits as on `outgoing/send`.",
        request=S.TTS_BODY,
        responses={200: S.CALLS_QUEUED},
    )
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

    @extend_schema(
        summary="Click2Call",
        description="Connects two parties: calls `from` first, then bridges it to `to` (a number, or "
        "`flow:<id>` to run a flow instead). `attempts` 1-2 redials the first leg while busy or unanswered, "
        "`duration` caps the call (1-10 minutes, or `none`), `record` 1 records it. Answers "
        "`{callId, message, status: 200}` without the envelope; `voice/calls` and `callstatus` follow it. Bad "
        "fields, another account's bridge, an opted-out number: 422.",
        request=S.C2C_BODY,
        responses={200: S.CALL_INITIATED},
    )
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
        description="The account's calls, newest first: service (`OBD`, `C2C`, `IN`), numbers, "
        "status (`ANSWER`, `BUSY`, `NOANSWER`, `CANCEL`, `CONGESTION`, `CHANUNAVAIL`; `queued`/`inprogress` "
        "before the end) with the raw `sip_code`, duration, charges and the first recording's signed URL (1 "
        "hour). `datetime[end_at]` (`Mon DD, YYYY - Mon DD, YYYY`, both days included) narrows by end time; "
        "another format: 422.",
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
        description="The account's call recordings, newest first, each with its call and a signed URL that "
        "plays without login for 1 hour (then 404: fetch the list again). `datetime[r.created_at]` (`Mon DD, "
        "YYYY - Mon DD, YYYY`) narrows by date; another format: 422.",
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

    @extend_schema(
        summary="Call status",
        description="The status of the account's calls by one selector, read in this order: `id` (a call id), "
        "`cid` (your `foreign_id`), `mobile` or `date` (`YYYY-MM-DD`); at most 100 calls, newest first, with "
        "the final status and `sip_code`. No selector, or a malformed date: 422.",
        parameters=S.CALL_STATUS_QUERY,
        responses={200: S.CALL_STATUS},
    )
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
        description="Uploads a sound for calls (multipart `audio`: wav, mp3, ogg or m4a with an audio stream, at "
        "most 10 MB and 10 minutes; optional `name`). It is converted to 8 kHz mono WAV; the answer's `id` is "
        "what `audio` takes. Anything else: 422 on `audio`.",
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
        description="The account's voice rate card: per country and service, the per-minute `sale_price` and "
        "its billing `pulse` in seconds. The account's own rows override the default card. `filter[status]` "
        "takes 0 or 1 (another value: 422).",
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

    @extend_schema(
        summary="List conferences",
        description="The account's conference rooms, newest first, 15 a page in the legacy paginator inside "
        "`{status, data}`: name, dial-in number, moderator and participant PINs (6 digits), capacity and "
        "the dates it is open.",
        parameters=S.LEGACY_PAGE_QUERY,
        responses={200: S.CONFERENCES},
    )
    def get(self, request):
        qs = Conference.objects.for_account(self.account).order_by("-created_at", "-id")
        page = formats.legacy_page(request, qs, formats.conference, 15)
        return Response({"status": "OK", "data": page})


class ConferenceCreate(V2APIView):
    required_scopes = {"POST": Scope.WRITE}

    @extend_schema(
        summary="Create conference",
        description="Creates a conference room: `name`, `max_people` (2-10) and `validity` (7-365 days). The "
        "dial-in number is the account's first virtual number (else the platform's); the moderator and "
        "participant PINs are 6 digits, unique on that number. Out-of-range or missing fields: 422.",
        request=S.CONFERENCE_BODY,
        responses={200: S.CONFERENCE_CREATED},
    )
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

    @extend_schema(
        summary="View VMN (Interact) logs",
        description="Keyword SMS and missed calls received on the account's virtual numbers, newest first, "
        "25 a page in the legacy paginator under `rows`; `filter[mobile]`, `filter[number]` and `date[created_at]` "
        "(`YYYY-MM-DD`) narrow them. Limited to 30 requests a minute per key on top of the account's limit "
        "(429).",
        parameters=S.VMN_QUERY,
        responses={200: S.VMN_LOGS},
    )
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
