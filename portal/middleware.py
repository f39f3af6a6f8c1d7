"""Request-wide middleware: `?_method=` verb override for API clients that can only send POST,
API paths with or without their trailing slash, server timing, large JSON answers compressed, the
Content-Security-Policy of every answer, the pages' input guard (body limits and the text rule
of portal.core.text), and the page-only middleware the push endpoints skip."""

import gzip
from time import perf_counter

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from django.middleware import csrf
from django.shortcuts import render
from django.urls import Resolver404, resolve
from rest_framework.views import APIView

from portal.core import text

OVERRIDABLE = {"PUT", "PATCH", "DELETE"}

# The Engage push and notify endpoints: key-authenticated, CSRF-exempt API views whose clients send
# no cookies. Their requests skip what only pages use (a session, the logged-in user, flash
# messages, the CSRF cookie: `PagesOnly`); every answer keeps the security headers, the
# Content-Security-Policy, the brand and the server timing, and the view authenticates the key.
PUSH_PATHS = frozenset({"/v1/messaging/sms", "/notify"})


class PagesOnly:
    """Mixin for a middleware only pages need: a request to a push endpoint (PUSH_PATHS) goes past
    it untouched. A view hook it has (CSRF's `process_view`) still runs; the push views are exempt."""

    def __call__(self, request):
        if request.path_info in PUSH_PATHS:
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(PagesOnly, sessions.SessionMiddleware):
    pass


class CsrfViewMiddleware(PagesOnly, csrf.CsrfViewMiddleware):
    pass


class AuthenticationMiddleware(PagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(PagesOnly, messages.MessageMiddleware):
    pass


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


class LargeJsonCompressionMiddleware:
    """A JSON answer of at least JSON_COMPRESS_MIN_BYTES is sent gzip-compressed to a client that
    accepts gzip. A send's catalogued answer has an item per recipient: 100,000 of them are 20 MB
    of JSON and 0.6 MB compressed, and a web worker that writes 20 MB to a slow client is held
    until it has read them. Compression level 1: a tenth of level 6's time for nearly its size.
    Pages are never compressed here (an answer that reflects input and holds a secret must not
    be: BREACH), nor small answers (tokens, keys)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.streaming
            or response.has_header("Content-Encoding")
            or not response.get("Content-Type", "").startswith("application/json")
            or len(response.content) < settings.JSON_COMPRESS_MIN_BYTES
        ):
            return response
        vary = response.get("Vary")
        response["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        accepted = {
            part.split(";")[0].strip().lower() for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(",")
        }
        if "gzip" not in accepted:
            return response
        response.content = gzip.compress(response.content, compresslevel=1, mtime=0)
        response["Content-Length"] = str(len(response.content))
        response["Content-Encoding"] = "gzip"
        return response


class RefusedInput(SuspiciousOperation):
    """A page read a parameter the input guard refused. Outside a view Django answers any
    SuspiciousOperation with its 400 page; inside one the guard renders the refusal."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(next(iter(errors.values()))[0])


class GuardedQueryDict(QueryDict):
    """A page's parameters where some values broke the text rule (`refused`: key -> message).
    Reading a refused value raises RefusedInput; forms built on CleanInputForm read `safe()` and
    show the refusals as field errors instead. Every other value reads as usual."""

    def __init__(self, source, refused):
        super().__init__(mutable=True, encoding=source.encoding)
        for key, values in source.lists():
            self.setlist(key, values)
        self._mutable = False
        self.refused = refused

    def _guard(self, key):
        if key in self.refused:
            raise RefusedInput(self.errors(key))

    def errors(self, *keys):
        # A key that is itself unsafe cannot be echoed back: it is shown as "parameter".
        return {("parameter" if text.problem(k) else k): [self.refused[k]] for k in keys or self.refused}

    def __getitem__(self, key):
        self._guard(key)
        return super().__getitem__(key)

    def __iter__(self):
        # Overridden so dict(params) and {**params} copy through __getitem__, not dict's C fast path.
        return super().__iter__()

    def _getlist(self, key, default=None, force_list=False):
        self._guard(key)
        return super()._getlist(key, default, force_list)

    def _guard_all(self):
        for key in self.refused:
            self._guard(key)

    def lists(self):  # items(), values(), dict() and urlencode() read through here
        self._guard_all()
        return super().lists()

    def __copy__(self):
        self._guard_all()
        return self.safe()

    def __deepcopy__(self, memo):
        self._guard_all()
        return self.safe()

    def safe(self):
        """The parameters without the refused ones, as a plain QueryDict."""
        out = QueryDict(mutable=True, encoding=self.encoding)
        for key, values in dict.items(self):
            if key not in self.refused:
                out.setlist(key, values)
        out._mutable = False
        return out


def _guarded(params):
    refused = {}
    for key, values in dict.items(params):
        what = text.problem(key) or next((w for v in values if isinstance(v, str) and (w := text.problem(v))), None)
        if what:
            refused[key] = text.message("parameter name" if text.problem(key) else key, what)
    return GuardedQueryDict(params, refused) if refused else params


def _is_api(view_func):
    # DRF views: their parsers and V2APIView apply the same rule and answer in the API's shapes.
    return isinstance(getattr(view_func, "cls", None), type) and issubclass(view_func.cls, APIView)


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class InputGuardMiddleware:
    """Pages get the API's input rules (portal.core.text; the API applies them in its parsers):
    a body over the limits is a 413 page before it is read, and parameters holding NUL or an
    unpaired surrogate are refused where they are read (see GuardedQueryDict), so nothing that
    reads them can write them or send them to the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_api(view_func):
            return None
        multipart = request.content_type == "multipart/form-data"
        limit = settings.MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if _content_length(request) > limit:
            return _too_large(request, limit)
        request.GET = _guarded(request.GET)
        if request.method == "POST":
            try:
                request.POST = _guarded(request.POST)
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
                return _too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, RefusedInput):
            return _refused(request, exception.errors)
        return None


def _refused(request, errors, status=400):
    # HTMX swaps 422 answers in place (static/src/js/portal.js): the message shows where the form was.
    template = "partials/bad_request.html" if request.htmx else "400.html"
    ctx = {"errors": [m for messages in errors.values() for m in messages]}
    return render(request, template, ctx, status=422 if request.htmx else status)


def _too_large(request, limit):
    size = f"{limit // (1024 * 1024)} MB"
    return _refused(request, {"body": [f"The request may not be greater than {size}."]}, status=413)


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
