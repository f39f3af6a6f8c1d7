"""How voice rows read in the v2 API (the catalog's field names and formats)."""

from datetime import datetime, timedelta

from django.utils import timezone

from portal.api.formats import resource_time
from portal.core.errors import ValidationFailed
from voice.models import Source
from voice.services import storage

RECORDING_URL_SECONDS = 3600  # the catalog's example: a pre-signed URL valid one hour


def hms(seconds):
    seconds = int(seconds or 0)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def ymd_his(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def queued_item(call):
    return {
        "id": str(call.uuid),
        "channel": "outgoing",
        "caller_id": call.bridge,
        "mobile": call.to or call.call_from,
        "flow_id": str(call.flow_id) if call.flow_id else None,
        "credits": f"{call.reserved:.4f}",
        "created_at": resource_time(call.created_at),
        "foreign_id": call.foreign_id or None,
        "options": call.options,
        "status": "queued",
    }


def _recording_url(call):
    recording = next(iter(call.recordings.all()), None)
    return storage.signed_url("recording", recording.uuid, seconds=RECORDING_URL_SECONDS) if recording else None


def call_log(call, request=None):
    return {
        "id": str(call.uuid),
        "call_from": call.call_from or call.bridge,
        "call_to": call.to,
        "service": {Source.INBOUND: "IN", Source.CLICK_TO_CALL: "C2C"}.get(call.source, "OBD"),
        "bridge": call.bridge,
        "status": call.status,
        "sip_code": call.sip_code,
        "duration": hms(call.duration),
        "billing": hms(call.billing),
        "pulsing": str(call.pulse),
        "charges": f"{call.charges:.4f}",
        "start_at": ymd_his(call.start_at),
        "end_at": ymd_his(call.end_at),
        "hangup_by": call.hangup_by or None,
        "dtmf": call.dtmf or None,
        "location": call.location.lower() or None,
        "region": call.region or None,
        "provider": call.provider or None,
        "notes": call.notes or None,
        "audio": _recording_url(call),
        "name": call.name or None,
    }


def recording_log(recording, request=None):
    call = recording.call
    return {
        "id": str(recording.uuid),
        "call_from": call.call_from or call.bridge,
        "call_to": call.to,
        "audio": storage.signed_url("recording", recording.uuid, seconds=RECORDING_URL_SECONDS),
        "duration": hms(recording.duration),
        "agent": recording.agent or None,
        "created_at": resource_time(recording.created_at),
    }


def call_status(call):
    return {
        "id": str(call.uuid),
        "channel": "outgoing",
        "from": call.call_from or call.bridge,
        "to": call.to,
        "created_at": resource_time(call.created_at),
        "foreign_id": call.foreign_id or None,
        "status": call.status if call.is_final else call.status.lower(),
        "sip_code": call.sip_code,
        "start_at": ymd_his(call.start_at),
        "end_at": ymd_his(call.end_at),
        "dtmf": call.dtmf or None,
    }


def price(row, request=None):
    return {
        "iso": row.iso,
        "country_name": row.country_name,
        "calling_code": row.calling_code,
        "sale_price": f"{row.rate:.4f}",
        "pulse": row.pulse,
        "service": row.service,
        "sub_service": row.sub_service,
        "service_name": row.service_name,
        "currency": row.currency,
        "status": int(row.is_active),
        "created_at": resource_time(row.created_at),
        "updated_at": resource_time(row.updated_at),
    }


def conference(row):
    return {
        "name": row.name,
        "number": row.number,
        "moderator_pin": row.moderator_pin,
        "participant_pin": row.participant_pin,
        "max_people": row.max_people,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
    }


def vmn_log(row):
    return {
        "id": str(row.uuid),
        "user_id": row.account_id,
        "mobile": row.mobile,
        "number": row.number,
        "first_keyword": row.first_keyword,
        "second_keyword": row.second_keyword,
        "body": row.body,
        "flow_id": row.flow_id,
        "location": row.location,
        "location_code": row.location_code,
        "region": row.region,
        "provider": row.provider,
        "created_at": ymd_his(row.created_at),
    }


def date_range(value, field):
    """`Mon DD, YYYY - Mon DD, YYYY` (both days included) as aware datetimes [start, end)."""
    text = str(value or "").strip()
    try:
        first, _, last = text.partition(" - ")
        start = datetime.strptime(first.strip(), "%b %d, %Y")
        end = datetime.strptime((last or first).strip(), "%b %d, %Y") + timedelta(days=1)
    except ValueError:
        raise ValidationFailed({field: [f"The {field} must read like 'Apr 01, 2021 - Apr 12, 2021'."]}) from None
    if end <= start:
        raise ValidationFailed({field: [f"The {field} must end on or after its start."]})
    zone = timezone.get_current_timezone()
    return timezone.make_aware(start, zone), timezone.make_aware(end, zone)


def legacy_page(request, queryset, serialize, per_page, *, serial=False):
    """Laravel's plain paginator (`data`, `current_page`, `first_page_url`, ...), as the catalog's
    docs-only operations answer."""
    try:
        number = int(request.query_params.get("page") or 1)
    except ValueError:
        raise ValidationFailed({"page": ["The page must be an integer."]}) from None
    if number < 1:
        raise ValidationFailed({"page": ["The page must be at least 1."]})
    total = queryset.count()
    last = max((total + per_page - 1) // per_page, 1)
    rows = list(queryset[(number - 1) * per_page : number * per_page])
    path = request.build_absolute_uri(request.path)

    def url(n):
        return f"{path}?page={n}" if n and 1 <= n <= last else None

    start = (number - 1) * per_page + 1 if rows else None
    data = [serialize(r) for r in rows]
    if serial:
        for index, item in enumerate(data):
            item["serial"] = start + index
    return {
        "current_page": number,
        "data": data,
        "first_page_url": url(1),
        "from": start,
        "last_page": last,
        "last_page_url": url(last),
        "next_page_url": url(number + 1),
        "path": path,
        "per_page": per_page,
        "prev_page_url": url(number - 1),
        "to": start + len(rows) - 1 if rows else None,
        "total": total,
    }
