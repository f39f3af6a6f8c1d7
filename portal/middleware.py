"""Request-wide middleware: `?_method=` verb override for API clients that can only send POST,
server timing, and the Content-Security-Policy of every answer."""

from time import perf_counter

from django.conf import settings

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


class ContentSecurityPolicyMiddleware:
    """`Content-Security-Policy` on every answer (pages, fragments, API, errors): scripts and
    styles only from the portal's own files, no inline code, no framing. A view with needs of its
    own (the Redoc reference) sets its policy and keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response
