"""The Cloud API webhook POST as a bare WSGI callable, in front of Django.

At thousands of webhooks a second Django's request cycle (middleware, URL resolving, sessions,
the response object) costs more than the work itself: a signature check and one INSERT
(`webhook_buffer.accept`). `portal.wsgi` routes `POST /whatsapp/cloud/webhook` here; everything
else, the GET verification handshake included, goes to Django, whose view answers the same POST
identically (tests and `runserver` use it).
"""

import json

PATH = "/whatsapp/cloud/webhook"
MAX_BODY = 1024 * 1024  # the provider batches at most a few hundred statuses per POST


def wants(environ):
    return environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == PATH


def _answer(start_response, status, payload):
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    from messaging.channels.whatsapp import webhook_buffer

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > MAX_BODY:
        return _answer(start_response, "413 Content Too Large", {"error": "The body is too large."})
    body = environ["wsgi.input"].read(length) if length else b""
    try:
        webhook_buffer.accept(
            body, environ.get("HTTP_X_HUB_SIGNATURE_256"), grouped=bool(environ.get("wsgi.multithread"))
        )
    except webhook_buffer.Refused as refused:
        status = {400: "400 Bad Request", 401: "401 Unauthorized", 503: "503 Service Unavailable"}[refused.status]
        return _answer(start_response, status, {"error": refused.message})
    return _answer(start_response, "200 OK", {"received": True})
