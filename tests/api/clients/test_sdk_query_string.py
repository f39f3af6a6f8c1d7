"""The vendor's SDKs that send with a GET, every parameter in the query string.

Replayed from (default branch):
- mobtexting/mobtexting-python `mobtexting/client.py`: `requests.get(url)` of a URL built by
  concatenation; requests percent-encodes the spaces (bytes captured from requests 2.34).
  `mobtexting/verify.py`: `Authorization: <key>` with no scheme.
- mobtexting/mobtexting-nodejs `index.js`: `https.get(url)`; Node 20 percent-encodes the spaces.
- mobtexting/mobtexting-java `com/mobtexting/sms/Client.java`: `HttpURLConnection` sends the URL as
  built, spaces and all (bytes captured from OpenJDK): a request line gunicorn refuses.
- mobtexting/mobtexting-go `client.go`: `http.Client.Get`; Go writes the query as built too.
- mobtexting/mobtexting-ruby `lib/mobtexting_sms.rb`: `open(url)`; a URL with a space already fails
  in Ruby's URI parser, so only space-free texts leave the client.

What they read: the Python SDK hands back the `requests` response (its README prints `.json()`),
Node and Ruby the body text, Java the body text of a 2xx (an IOException otherwise), Go the body
of a 200 only. So: a JSON body, `status` 200 and the message on success.
"""

import json

import pytest

from tests.api.clients.conftest import OTP, crlf
from tests.api.clients.server import Server

SEND_QUERY = "access_token={key}&message={message}&sender={sender}&to={to}&service={service}"


def sdk_query(message, sender="ACMEIN", to="919876543210", service="T"):
    return SEND_QUERY.replace("{message}", message).format(key="{key}", sender=sender, to=to, service=service)


def accepted(answer, count=1):
    body = answer.json()
    assert answer.status == 200
    assert body["status"] == 200 and body["message"] == f"{count} numbers accepted for delivery."
    return body


def test_python_sdk_send(replay, sending_setup):
    # `to="+919876543210"`: requests leaves the `+` as it is, so it arrives as a space.
    message = OTP.replace(" ", "%20")
    raw = crlf(
        f"GET /api/v2/sms/send?{sdk_query(message, to='+919876543210')} HTTP/1.1\n"
        "Host: portal.example.com\n"
        "User-Agent: python-requests/2.34.2\n"
        "Accept-Encoding: gzip, deflate\n"
        "Accept: */*\n"
        "Connection: keep-alive\n"
        "\n"
    )
    body = accepted(replay(raw))
    assert body["data"][0]["mobile"] == "919876543210" and body["data"][0]["status"] == "AWAITING-DLR"


def test_node_sdk_send(replay, sending_setup):
    raw = crlf(
        f"GET /api/v2/sms/send?{sdk_query(OTP.replace(' ', '%20'))} HTTP/1.1\n"
        "Host: portal.example.com\n"
        "Connection: keep-alive\n"
        "\n"
    )
    assert "group_id" in accepted(replay(raw))


@pytest.mark.parametrize(
    "headers",
    [
        # Java's HttpURLConnection
        "User-Agent: Java/17.0.13\nHost: portal.example.com\nAccept: */*\nConnection: keep-alive\n",
        # Go's net/http
        "Host: portal.example.com\nUser-Agent: Go-http-client/1.1\nAccept-Encoding: gzip\n",
        # Ruby's open-uri
        "Accept-Encoding: gzip;q=1.0,deflate;q=0.6,identity;q=0.3\nAccept: */*\nUser-Agent: Ruby\n"
        "Host: portal.example.com\n",
    ],
    ids=["java", "go", "ruby"],
)
def test_java_go_and_ruby_sdks_send_a_text_without_spaces(replay, sending_setup, headers):
    raw = crlf(f"GET /api/v2/sms/send?{sdk_query('Welcome!', 'AcmeUK', '447400123456', 'G')} HTTP/1.1\n{headers}\n")
    accepted(replay(raw))


@pytest.fixture(scope="module")
def web_server(tmp_path_factory):
    server = Server(access_log=tmp_path_factory.mktemp("web") / "access.log")
    yield server
    server.stop()


@pytest.mark.parametrize(
    "headers",
    [
        "User-Agent: Java/17.0.13\r\nHost: 127.0.0.1\r\nAccept: */*\r\nConnection: keep-alive\r\n",
        "Host: 127.0.0.1\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n",
    ],
    ids=["java", "go"],
)
def test_a_text_with_spaces_from_java_or_go_gets_the_error_envelope_not_html(web_server, headers):
    # The SDKs' own bug (the text goes into the URL unencoded); gunicorn refuses the request line
    # before Django runs, and the portal's worker answers in the v2 envelope.
    query = sdk_query("Hello from Java!").replace("{key}", "pk_secret_never_echoed")
    status, answer_headers, body = web_server.send(
        f"GET /api/v2/sms/send?{query} HTTP/1.1\r\n{headers}\r\n".encode("latin1")
    )
    assert status == 400
    assert answer_headers["content-type"] == "application/json"
    payload = json.loads(body)
    assert payload["status"] == "failed" and payload["code"] == 400
    assert payload["message"].startswith("Bad Request: the request line is malformed.")
    assert b"pk_secret_never_echoed" not in body and b"Java" not in body


def test_the_key_in_the_query_string_stays_out_of_the_access_log(web_server):
    status, _, _ = web_server.send(
        b"GET /api/v2/auth/me?access_token=pk_secret_in_query HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert status in (401, 500)  # the server's database may not exist in the test run; the log line is the point
    log = web_server.access_log.read_text()
    assert '"GET /api/v2/auth/me HTTP/1.1"' in log
    assert "pk_secret_in_query" not in log


def test_python_verify_call_with_the_bare_key(replay):
    # verify.py: POST verify?to=… with `Authorization: <key>`. Verify is not offered by this
    # portal: the answer is the 404 envelope, in JSON.
    raw = crlf(
        "POST /api/v2/verify?to=919876543210 HTTP/1.1\n"
        "Host: portal.example.com\n"
        "User-Agent: python-requests/2.34.2\n"
        "Accept-Encoding: gzip, deflate\n"
        "Accept: application/json\n"
        "Connection: keep-alive\n"
        "Authorization: {key}\n"
        "Content-Length: 0\n"
        "\n"
    )
    assert replay(raw).json() == {"status": "failed", "code": 404, "message": "Not Found."}


def test_the_bare_key_of_the_verify_and_voice_clients_authenticates(replay, account):
    raw = crlf(
        "GET /api/v2/auth/me HTTP/1.1\nHost: portal.example.com\nAccept: application/json\nAuthorization: {key}\n\n"
    )
    answer = replay(raw)
    assert answer.status == 200 and answer.json()["data"]["id"] == str(account.uuid)
