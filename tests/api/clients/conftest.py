"""Replaying published clients' requests byte for byte.

Each module under this package is one client family. A request is written down as the client puts
it on the wire (request line, headers, body), with `{key}` where the client puts its API key and
`{length}` for the Content-Length the client computes, and `replay()` hands exactly those bytes
to the application (through Django's WSGI handler, every middleware included). The tests then read the answer the way
that client reads it.
"""

import json

import pytest
from django.test import Client

from tests.messaging.sending.conftest import sending_setup  # noqa: F401 - a fixture these tests use

OTP = "Your OTP is 4821. Do not share it."  # matches the approved DLT template of sending_setup


class Answer:
    def __init__(self, response):
        self.status = response.status_code
        self.content_type = response.get("Content-Type", "")
        self.raw = response.content
        self.response = response

    def json(self):
        assert self.content_type.startswith("application/json"), self.content_type
        return json.loads(self.raw)


def parse(raw):
    """(method, target, headers, body) of an HTTP/1.1 request written as bytes."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin1").split("\r\n")
    method, target, version = request_line.split(" ")
    assert version == "HTTP/1.1", request_line
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    if "Content-Length" in headers:
        assert int(headers["Content-Length"]) == len(body), "the written Content-Length must match the body"
    return method, target, headers, body


@pytest.fixture
def replay(api_key_and_secret, django_capture_on_commit_callbacks):
    """replay(raw_bytes) -> Answer; on-commit work (dispatch) runs, as after a real request."""
    key = api_key_and_secret[1]

    def run(raw, *, key=key):
        method, target, headers, body = parse(fill(raw, key))
        content_type = headers.pop("Content-Type", "")
        headers.pop("Content-Length", None)
        headers.pop("Host", None)
        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.generic(method, target, data=body, content_type=content_type, headers=headers)
        return Answer(response)

    return run


def fill(raw, key):
    """The request with the key in place and its Content-Length computed."""
    raw = raw.replace(b"{key}", key.encode())
    body = raw.partition(b"\r\n\r\n")[2]
    return raw.replace(b"{length}", str(len(body)).encode())


def crlf(text):
    """A request written with plain newlines in the test, as it travels: CRLF line ends."""
    return text.replace("\n", "\r\n").encode()
