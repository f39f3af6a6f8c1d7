"""OpenAPI descriptions of the voice bodies and answers (documentation only: services validate).
Shapes follow the catalog (voice.md) and `voice/api/formats.py`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from portal.api.schema import NumberOrText, list_parameters, many

TIME = "ISO-8601 in UTC with microseconds"
CALL_TIME = "`Y-m-d H:i:s`, null until it happened"
RANGE = "`Mon DD, YYYY - Mon DD, YYYY`, both days included (e.g. `Apr 01, 2021 - Apr 12, 2021`)"


def _text(help_text="", **kwargs):
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text, **kwargs)


def _variables():
    return serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Values of the flow's `{{variables}}`; form posts send `variables[<Name>]` fields.",
    )


_CALL = {
    "bridge": serializers.CharField(help_text="One of the account's numbers, the caller id."),
    "name": _text("Campaign name."),
    "webhook_id": _text("A webhook of the account that receives the CDR."),
}
OUTGOING_BODY = inline_serializer(
    name="VoiceOutgoingRequest",
    fields={
        **_CALL,
        "to": serializers.CharField(help_text="One or more numbers with country code, comma-separated."),
        "flow_id": NumberOrText(required=False, help_text="An IVR flow of the account (or give `audio`)."),
        "ivr_id": NumberOrText(required=False, help_text="The older name of `flow_id`."),
        "audio": _text("A sound id (`voice/sounds`) or a public http(s) URL (or give `flow_id`)."),
        "variables": _variables(),
        "interval": NumberOrText(required=False, help_text="Retry interval in minutes: 0, 5, 15, 30, 45 or 60."),
        "foreign_id": _text("Your reference (`cid` is accepted too)."),
        "cid": _text("The older name of `foreign_id`."),
    },
)
BULK_BODY = inline_serializer(
    name="VoiceBulkRequest",
    fields={
        **_CALL,
        "flow_id": NumberOrText(required=False, help_text="An IVR flow of the account (or give `audio`)."),
        "ivr_id": NumberOrText(required=False),
        "audio": _text("Audio for every recipient without its own."),
        "payload": serializers.ListField(
            child=inline_serializer(
                name="VoiceBulkRecipient",
                fields={
                    "to": serializers.CharField(),
                    "audio": _text("This recipient's audio."),
                    "variables": _variables(),
                },
            ),
            help_text="The recipients (at most 50,000).",
        ),
    },
)
TTS_BODY = inline_serializer(
    name="VoiceTtsRequest",
    fields={
        **_CALL,
        "to": serializers.CharField(help_text="One or more numbers with country code, comma-separated."),
        "text": serializers.CharField(help_text="Spoken when the call is answered."),
        "options": serializers.DictField(
            required=False,
            help_text="`voiceid`, `language`, `gender`, `break` {`identifier`, `time`}, `iteration_tries`, "
            "`iteration_delay` (voice.md).",
        ),
        "interval": NumberOrText(required=False),
    },
)
C2C_BODY = inline_serializer(
    name="ClickToCallRequest",
    fields={
        "bridge": serializers.CharField(help_text="One of the account's numbers."),
        "from": serializers.CharField(help_text="The first leg, with country code."),
        "to": serializers.CharField(help_text="The second leg: a number, or `flow:<id>`."),
        "record": _text("`1` records the conversation; default `0`."),
        "attempts": NumberOrText(required=False, help_text="Redials on no answer, at most 2."),
        "mid": _text("Your message id."),
        "webhook_id": _text("A webhook of the account."),
        "duration": NumberOrText(required=False, help_text="Call length cap in minutes."),
        "variables": _variables(),
    },
)
SOUND_BODY = inline_serializer(
    name="VoiceSoundRequest",
    fields={"audio": serializers.FileField(help_text="The sound file."), "name": _text()},
)
CONFERENCE_BODY = inline_serializer(
    name="ConferenceRequest",
    fields={
        "name": _text(),
        "max_people": NumberOrText(required=False, help_text="2 to 10."),
        "validity": NumberOrText(required=False, help_text="Days, 7 to 365."),
    },
)

QUEUED_CALL = inline_serializer(
    name="VoiceQueuedCall",
    fields={
        "id": serializers.UUIDField(help_text="Use it with `outgoing/callstatus`."),
        "channel": serializers.CharField(help_text="`outgoing`"),
        "caller_id": serializers.CharField(),
        "mobile": serializers.CharField(),
        "flow_id": serializers.CharField(allow_null=True),
        "credits": serializers.CharField(help_text="Reserved for the call, 4 decimals."),
        "created_at": serializers.CharField(help_text=TIME),
        "foreign_id": serializers.CharField(allow_null=True),
        "options": serializers.JSONField(allow_null=True),
        "status": serializers.CharField(help_text="`queued`"),
    },
)
CALLS_QUEUED = inline_serializer(
    name="VoiceCallsQueued",
    fields={"status": serializers.CharField(), "message": serializers.CharField(), "data": many(QUEUED_CALL)},
)
BULK_QUEUED = inline_serializer(
    name="VoiceBulkQueued",
    fields={
        "status": serializers.CharField(),
        "code": serializers.IntegerField(),
        "message": serializers.CharField(help_text="`<n> numbers queued successfully.`"),
        "data": many(QUEUED_CALL),
        "group_id": serializers.UUIDField(),
        "total": serializers.IntegerField(help_text="Calls queued (`data` lists the first 1,000)."),
    },
)
CALL_INITIATED = inline_serializer(
    name="ClickToCallInitiated",
    fields={
        "callId": serializers.UUIDField(),
        "message": serializers.CharField(help_text="`call initiated successfully`"),
        "status": serializers.IntegerField(help_text="200"),
    },
)

CALL_LOG = inline_serializer(
    name="VoiceCallLog",
    fields={
        "id": serializers.UUIDField(),
        "call_from": serializers.CharField(allow_blank=True),
        "call_to": serializers.CharField(allow_blank=True),
        "service": serializers.CharField(help_text="`OBD`, `IN` or `C2C`"),
        "bridge": serializers.CharField(allow_blank=True),
        "status": serializers.CharField(),
        "sip_code": serializers.IntegerField(allow_null=True),
        "duration": serializers.CharField(help_text="`HH:MM:SS`"),
        "billing": serializers.CharField(help_text="`HH:MM:SS`"),
        "pulsing": serializers.CharField(help_text="Seconds"),
        "charges": serializers.CharField(help_text="4 decimals"),
        "start_at": serializers.CharField(allow_null=True, help_text=CALL_TIME),
        "end_at": serializers.CharField(allow_null=True, help_text=CALL_TIME),
        **{
            name: serializers.CharField(allow_null=True)
            for name in ("hangup_by", "dtmf", "location", "region", "provider", "notes", "name")
        },
        "audio": serializers.URLField(allow_null=True, help_text="The recording, a link valid one hour."),
    },
)
RECORDING_LOG = inline_serializer(
    name="VoiceRecording",
    fields={
        "id": serializers.UUIDField(),
        "call_from": serializers.CharField(allow_blank=True),
        "call_to": serializers.CharField(allow_blank=True),
        "audio": serializers.URLField(help_text="A link valid one hour."),
        "duration": serializers.CharField(help_text="`HH:MM:SS`"),
        "agent": serializers.CharField(allow_null=True),
        "created_at": serializers.CharField(help_text=TIME),
    },
)
CALL_STATUS_ITEM = inline_serializer(
    name="VoiceCallStatus",
    fields={
        "id": serializers.UUIDField(),
        "channel": serializers.CharField(),
        "from": serializers.CharField(allow_blank=True),
        "to": serializers.CharField(allow_blank=True),
        "created_at": serializers.CharField(help_text=TIME),
        "foreign_id": serializers.CharField(allow_null=True),
        "status": serializers.CharField(help_text="Final statuses upper case (`ANSWER`), others lower case."),
        "sip_code": serializers.IntegerField(allow_null=True),
        "start_at": serializers.CharField(allow_null=True, help_text=CALL_TIME),
        "end_at": serializers.CharField(allow_null=True, help_text=CALL_TIME),
        "dtmf": serializers.CharField(allow_null=True),
    },
)
CALL_STATUS = inline_serializer(
    name="VoiceCallStatusAnswer",
    fields={
        "status": serializers.IntegerField(help_text="200"),
        "message": serializers.CharField(),
        "data": many(CALL_STATUS_ITEM),
    },
)
CALL_STATUS_QUERY = [
    OpenApiParameter("id", OpenApiTypes.STR, description="A call id from the outgoing answers."),
    OpenApiParameter("cid", OpenApiTypes.STR, description="Your `foreign_id`."),
    OpenApiParameter("mobile", OpenApiTypes.STR, description="The callee, with country code."),
    OpenApiParameter("date", OpenApiTypes.DATE, description="A day (`YYYY-MM-DD`)."),
]
CALLS_QUERY = [OpenApiParameter("datetime[end_at]", OpenApiTypes.STR, description=RANGE), *list_parameters()]
RECORDINGS_QUERY = [
    OpenApiParameter("datetime[r.created_at]", OpenApiTypes.STR, description=RANGE),
    *list_parameters(),
]

SOUND = inline_serializer(
    name="VoiceSound", fields={"id": serializers.UUIDField(help_text="Usable as `audio` in outgoing calls.")}
)

PRICE = inline_serializer(
    name="VoicePrice",
    fields={
        "iso": serializers.CharField(),
        "country_name": serializers.CharField(),
        "calling_code": serializers.IntegerField(allow_null=True),
        "sale_price": serializers.CharField(help_text="4 decimals, per pulse"),
        "pulse": serializers.IntegerField(help_text="Seconds"),
        "service": serializers.CharField(),
        "sub_service": serializers.CharField(allow_blank=True),
        "service_name": serializers.CharField(),
        "currency": serializers.CharField(),
        "status": serializers.IntegerField(help_text="1 active, 0 inactive"),
        "created_at": serializers.CharField(allow_null=True),
        "updated_at": serializers.CharField(allow_null=True),
    },
)
PRICING_QUERY = [
    OpenApiParameter("filter[iso]", OpenApiTypes.STR),
    OpenApiParameter("filter[service]", OpenApiTypes.STR, description="`VOC`"),
    OpenApiParameter("filter[subservice]", OpenApiTypes.STR, description="`VOI`"),
    OpenApiParameter("filter[status]", OpenApiTypes.STR, enum=["0", "1"]),
    *list_parameters(),
]

_CONFERENCE_FIELDS = {
    "moderator_pin": serializers.CharField(),
    "participant_pin": serializers.CharField(),
    "max_people": serializers.IntegerField(),
    "start_date": serializers.DateField(),
    "end_date": serializers.DateField(),
}
CONFERENCE = inline_serializer(
    name="Conference",
    fields={"name": serializers.CharField(allow_blank=True), "number": serializers.CharField(), **_CONFERENCE_FIELDS},
)
CONFERENCE_CREATED = inline_serializer(
    name="ConferenceCreated",
    fields={
        "status": serializers.CharField(),
        "message": serializers.CharField(help_text="`Success`"),
        "data": inline_serializer(name="ConferencePins", fields=dict(_CONFERENCE_FIELDS)),
    },
)


def legacy_page(name, item):
    """Laravel's plain paginator object, as the catalog's docs-only voice operations answer."""
    return inline_serializer(
        name=name,
        fields={
            "current_page": serializers.IntegerField(),
            "data": many(item),
            "first_page_url": serializers.URLField(),
            "from": serializers.IntegerField(allow_null=True),
            "last_page": serializers.IntegerField(),
            "last_page_url": serializers.URLField(),
            "next_page_url": serializers.URLField(allow_null=True),
            "path": serializers.URLField(),
            "per_page": serializers.IntegerField(),
            "prev_page_url": serializers.URLField(allow_null=True),
            "to": serializers.IntegerField(allow_null=True),
            "total": serializers.IntegerField(),
        },
    )


CONFERENCES = inline_serializer(
    name="Conferences",
    fields={"status": serializers.CharField(), "data": legacy_page("ConferencePage", CONFERENCE)},
)
LEGACY_PAGE_QUERY = [OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1.")]

VMN_LOG = inline_serializer(
    name="VmnLog",
    fields={
        "id": serializers.UUIDField(),
        "user_id": serializers.IntegerField(),
        "mobile": serializers.CharField(),
        "number": serializers.CharField(),
        **{
            name: serializers.CharField(allow_blank=True, allow_null=True)
            for name in ("first_keyword", "second_keyword", "body", "location", "location_code", "region", "provider")
        },
        "flow_id": serializers.IntegerField(allow_null=True),
        "created_at": serializers.CharField(help_text="`Y-m-d H:i:s`"),
        "serial": serializers.IntegerField(),
    },
)
VMN_LOGS = inline_serializer(name="VmnLogs", fields={"rows": legacy_page("VmnLogPage", VMN_LOG)})
VMN_QUERY = [
    OpenApiParameter("filter[mobile]", OpenApiTypes.STR),
    OpenApiParameter("filter[number]", OpenApiTypes.STR, description="The virtual number."),
    OpenApiParameter("date[created_at]", OpenApiTypes.DATE, description="`YYYY-MM-DD`"),
    *LEGACY_PAGE_QUERY,
]
