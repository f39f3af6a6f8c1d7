"""Request-wide middleware: `?_method=` verb override for API clients that can only send POST,
and server timing."""

from time import perf_counter

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
