"""The v2 response envelope: {status, code, message, data} (+ links/meta on lists)."""

import orjson
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
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


def large_json(body, *, status=200):
    """An answer with one item per recipient (100,000 of them: 20 MB), encoded once, straight to
    bytes, by orjson: the bytes DRF's JSONRenderer writes (compact, UTF-8, key order kept) for
    bodies of dicts, lists, strings, ints, None and floats written with at most four decimals
    (credits), about ten times sooner and without a second copy as text. Anything else (Decimal,
    datetimes, lazy text) is refused (TypeError) rather than written differently."""
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def v2_error(message, *, code, errors=None, headers=None, status_value=FAILED):
    body = {"status": status_value, "code": code, "message": message}
    if errors:
        body["errors"] = errors
    return Response(body, status=code, headers=headers)


@csrf_exempt  # a POST to an unknown API path gets the JSON 404, not Django's HTML CSRF page
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the envelope, not with an HTML page."""
    if request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        # The catch-all hides APPEND_SLASH: redirect `/api/docs` to `/api/docs/` ourselves.
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            query = request.META.get("QUERY_STRING")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return JsonResponse({"status": FAILED, "code": 404, "message": "Not Found."}, status=404)


api_not_found.catch_all = True  # portal.middleware tells it from the real endpoints by this mark
