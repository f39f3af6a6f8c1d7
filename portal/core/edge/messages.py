"""A request as the edge's routes see it, and their answer (no parser here: the web and worker
processes import this package through the apps' registrations, and need no httptools)."""

import json
from http import HTTPStatus

_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
TEXT = "text/plain; charset=utf-8"


class Request:
    """A parsed request: `method`, `path` and `query` as str (latin-1, as WSGI gives them),
    `headers` with lower-case names (repeats joined with ", "), `body` bytes."""

    __slots__ = ("body", "headers", "method", "path", "query")

    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def header(self, name, default=""):
        return self.headers.get(name, default)


class Response:
    """`status`: a code or a status line; `headers`: extra (name, value) pairs."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(self, status, body=b"", content_type=TEXT, headers=()):
        self.status = _LINES.get(status, status) if isinstance(status, int) else status
        self.body, self.content_type, self.headers = body, content_type, headers

    @classmethod
    def json(cls, status, payload, headers=()):
        return cls(status, json.dumps(payload).encode(), "application/json", headers)
