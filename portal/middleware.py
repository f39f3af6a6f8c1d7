"""Request-wide middleware: `?_method=` verb override for API clients that can only send POST,
API paths with or without their trailing slash, and server timing."""

from time import perf_counter

from django.urls import Resolver404, resolve

OVERRIDABLE = {"PUT", "PATCH", "DELETE"}


class MethodOverrideMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path.startswith("/api/"):
            override = request.GET.get("_method", "").upper()
            if override in OVERRIDABLE:
                request.method = override
        return self.get_response(request)


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: the time spent inside Django, which
    load tests and browser dev tools read to tell server time from network and queueing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(perf_counter() - start) * 1000:.2f}"
        return response


class ApiTrailingSlashMiddleware:
    """Every versioned API path answers with or without a trailing slash.

    Published clients post to `sms/send/` as often as to `sms/send`. A redirect would lose a POST's
    body (curl and most HTTP libraries follow a 301 with a GET), so the other spelling is resolved
    in place: only when the path as sent matches no endpoint and the other one does.
    """

    PREFIXES = ("/api/v2/", "/api/v3/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(self.PREFIXES) and not _is_endpoint(path):
            other = path[:-1] if path.endswith("/") else path + "/"
            if _is_endpoint(other):
                request.path_info = other
        return self.get_response(request)


def _is_endpoint(path):
    """`path` names a view other than the catch-all that answers unknown API paths with the 404."""
    try:
        return not getattr(resolve(path).func, "catch_all", False)
    except Resolver404:
        return False
