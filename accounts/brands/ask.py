"""Caddy's on-demand TLS `ask`, answered in front of Django.

Caddy asks `GET /tls/ask?domain=<name>` before it requests a certificate; under a burst of new
names (or someone probing) the answer must not queue behind the whole middleware stack. This
WSGI wrapper answers that one path from the process's set of served hosts (resolve.served_hosts:
version-checked like the brand lookups, one query per change) and hands every other request to
Django untouched. The Host header is checked as BrandMiddleware checks it (an unknown host: 400).
The edge server (accounts/brands/edge.py) answers the same `decide()` from its own copy of the
set; this path is the fallback behind gunicorn (docs/brands.md).
"""

from time import perf_counter
from urllib.parse import parse_qs

from django.conf import settings
from django.db import close_old_connections
from django.http.request import validate_host

from accounts.brands import resolve

PATH = "/tls/ask"
_TEXT = ("Content-Type", "text/plain; charset=utf-8")


def decide(host_header, query, served=None):
    """(status line, body) for an ask with this Host header and query string. `served`: the set
    of served hosts to answer from (the edge server's copy; default `resolve.served_hosts()`).
    The Host check is BrandMiddleware's (a platform name or a served brand domain), made on the
    same set, so it needs no per-host lookup."""
    served = resolve.served_hosts() if served is None else served
    host = resolve.normalise_host(host_header)
    if not host or not (host in served or validate_host(host, settings.PLATFORM_HOSTS)):
        return "400 Bad Request", b"Bad Request (400)"
    if allows_certificate((parse_qs(query).get("domain") or [""])[0], served):
        return "200 OK", b"ok"
    return "404 Not Found", b"unknown domain"


def allows_certificate(name, served=None):
    """Whether the ask says yes for `name` (the view under Django's stack answers the same):
    a served brand domain, never one of the platform's own names."""
    domain = resolve.normalise_host(name)
    served = resolve.served_hosts() if served is None else served
    return bool(domain) and domain in served and not validate_host(domain, settings.PLATFORM_HOSTS)


class AskFastPath:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        start = perf_counter()
        try:
            status, body = decide(
                environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""), environ.get("QUERY_STRING", "")
            )
        except Exception:
            # A dropped database connection (outside Django's request cycle nobody else closes
            # it): let the full stack answer this one, with its own error handling.
            close_old_connections()
            return self.app(environ, start_response)
        headers = [
            _TEXT,
            ("Content-Length", str(len(body))),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store"),
            ("Server-Timing", f"app;dur={(perf_counter() - start) * 1000:.2f}"),
        ]
        start_response(status, headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
