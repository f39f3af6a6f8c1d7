"""The v2 response envelope: {status, code, message, data} (+ links/meta on lists)."""

from rest_framework.response import Response

OK = "OK"
FAILED = "failed"


def v2_response(
    data=None, message="OK", *, code=200, status_value=OK, include_code=True, include_data=True, headers=None, **extra
):
    """Build an enveloped response. Variants the catalog lists (no `code`, no `data`, integer
    status, extra top-level keys such as `group_id`) are chosen by the caller."""
    body = {"status": status_value}
    if include_code:
        body["code"] = code
    body["message"] = message
    if include_data:
        body["data"] = [] if data is None else data
    body.update(extra)
    return Response(body, status=code, headers=headers)


def v2_error(message, *, code, errors=None, headers=None):
    body = {"status": FAILED, "code": code, "message": message}
    if errors:
        body["errors"] = errors
    return Response(body, status=code, headers=headers)


def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the envelope, not with an HTML page."""
    from django.http import JsonResponse

    return JsonResponse({"status": FAILED, "code": 404, "message": "Not Found."}, status=404)
