"""Keyword SMS to a virtual number, as the SMS carrier delivers them: `POST /voice/vmn/sms`
with `Authorization: Bearer <VOICE_VMN_SMS_TOKEN>` and a JSON or form body (`from`, `to`, `text`,
the carrier's message `id`; optional `location`, `location_code`, `region`, `provider`). Each
message is logged once (services/vmn.py) and read back by `vmn/logs`. Without a token
configured the route does not exist."""

import hmac
import json

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.api.responses import FAILED, OK
from portal.core.errors import FieldErrors
from portal.core.phone_numbers import InvalidNumber, normalize
from voice.services import vmn

MAX_TEXT = 1600
OPTIONAL = {"location": 60, "location_code": 2, "region": 60, "provider": 60, "id": 100}


def _failed(code, message, errors=None):
    body = {"status": FAILED, "code": code, "message": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=code)


def _payload(request):
    if request.content_type == "application/json":
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise ValueError
        return data
    return request.POST


def _clean(data):
    errors = FieldErrors()
    numbers = {}
    for field in ("from", "to"):
        value = str(data.get(field) or "").strip()
        if not value:
            errors.add(field, f"The {field} field is required.")
            continue
        try:
            numbers[field] = normalize(value)
        except InvalidNumber as exc:
            errors.add(field, str(exc))
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.add("text", "The text field is required.")
    elif len(text) > MAX_TEXT:
        errors.add("text", f"The text may not be greater than {MAX_TEXT} characters.")
    extra = {}
    for field, limit in OPTIONAL.items():
        value = data.get(field, "")
        if not isinstance(value, str | int) or len(str(value)) > limit:
            errors.add(field, f"The {field} may not be greater than {limit} characters.")
        else:
            extra[field] = str(value).strip()
    return numbers, text, extra, errors


@csrf_exempt
@require_POST
def vmn_sms(request):
    token = settings.VOICE_VMN_SMS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return _failed(401, "Unauthenticated.")
    try:
        data = _payload(request)
    except (ValueError, UnicodeDecodeError):
        return _failed(400, "The body is not a JSON object.")
    numbers, text, extra, errors = _clean(data)
    if errors:
        return _failed(422, "The given data was invalid.", dict(errors))
    (mobile, iso), (number, _) = numbers["from"], numbers["to"]
    log = vmn.record_inbound(
        number=number,
        mobile=mobile,
        body=text,
        location=extra["location"],
        location_code=(extra["location_code"] or iso).upper(),
        region=extra["region"],
        provider=extra["provider"],
        message_id=extra["id"],
    )
    if log is None:
        return _failed(404, "The number is not a virtual number on this platform.")
    return JsonResponse({"status": OK, "code": 200, "message": "Logged.", "data": {"id": log.pk}})
