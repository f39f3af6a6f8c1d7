"""Resolve the brand from the request's host before anything else runs.

A host no brand serves (and that is not one of the platform's own, PLATFORM_HOSTS) gets a plain
400 before any session, CSRF or tenant code reads the request. The brand found is `request.brand`
and the active brand of accounts.brands.current for the request's duration.
"""

from django.http import HttpResponseBadRequest, JsonResponse

from accounts.brands import current, resolve
from accounts.brands.models import unsold_paths
from portal.api.responses import FAILED


class BrandMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = resolve.normalise_host(request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", ""))
        brand = resolve.brand_for_host(host) if host else None
        if brand is None:
            return HttpResponseBadRequest("Bad Request (400)", content_type="text/plain; charset=utf-8")
        if request.path.startswith(unsold_paths(brand) or ("\0",)):
            # A module the brand does not sell is not there at all, as on its own API host.
            return JsonResponse({"status": FAILED, "code": 404, "message": "Not Found."}, status=404)
        request.brand = brand
        request.brand_host = host
        token = current.activate(brand)
        try:
            return self.get_response(request)
        finally:
            current.reset(token)
