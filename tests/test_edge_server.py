"""The edge server's HTTP/1.1 (portal/core/edge): keep-alive and pipelining in order, 404 for
any path nobody registered, 400 and a closed connection for requests that could be read two ways,
bodies and headers capped, slow and idle clients timed out. Dummy routes, no database."""

import asyncio
import contextlib
import socket
import time

import pytest

from portal.core import edge
from portal.core.edge import Response, routes
from portal.core.edge.http import Limits
from portal.core.edge.server import serve_in_thread
from tests.edge_http import Connection, one, request


class Echo:
    """Answers at once with what it was sent."""

    max_body = 64

    def handle(self, req):
        if req.path == "/boom":
            raise RuntimeError("boom")
        return Response(200, f"{req.method} {req.query} {req.header('x-tag')} {req.body.decode()}".encode())


class Slow:
    """Answers after a delay (an awaited commit, say): later requests must still come back after it."""

    max_body = 0

    async def handle(self, req):
        await asyncio.sleep(float(req.query or "0.2"))
        return Response(200, b"slow")


class Broken:
    max_body = 0

    async def handle(self, req):
        raise RuntimeError("async boom")


@pytest.fixture
def server():
    limits = Limits(request_seconds=0.5, keepalive_seconds=1.0, pipelined=4, connections=50)
    running = serve_in_thread({"/echo": Echo(), "/boom": Echo(), "/slow": Slow(), "/broken": Broken()}, limits=limits)
    yield running
    running.stop()


def test_keep_alive_serves_several_requests_on_one_connection(server):
    conn = Connection(server.port)
    for n in range(3):
        conn.send(request(f"/echo?n={n}"))
        (answer,) = conn.read(1)
        assert (answer.status, answer.body) == (200, f"GET n={n}  ".encode())
        assert answer.headers["content-length"] == str(len(answer.body)) and "date" in answer.headers
    assert not conn.wait_closed(0.2)
    conn.close()


def test_pipelined_requests_are_answered_in_order_behind_a_slow_one(server):
    conn = Connection(server.port)
    conn.send(
        request("/slow?0.3") + request("/echo?a", headers=[("X-Tag", "t")]) + request("/nowhere") + request("/slow?0")
    )
    answers = conn.read(4)
    assert [(a.status, a.body) for a in answers] == [
        (200, b"slow"),
        (200, b"GET a t "),
        (404, b"Not Found"),
        (200, b"slow"),
    ]
    conn.close()


def test_more_pipelined_requests_than_the_limit_are_all_answered(server):
    conn = Connection(server.port)
    conn.send(b"".join(request(f"/echo?{n}") for n in range(40)))
    answers = conn.read(40, timeout=10)
    assert [a.body for a in answers] == [f"GET {n}  ".encode() for n in range(40)]
    conn.close()


def test_a_post_with_a_body_and_a_chunked_one(server):
    assert one(server.port, request("/echo", method="POST", body=b"hello")).body == b"POST   hello"
    chunked = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert one(server.port, chunked).body == b"POST   abcde"


def test_any_other_path_is_a_404_and_the_connection_goes_on(server):
    conn = Connection(server.port)
    conn.send(request("/tls/ask/") + request("/", method="POST", body=b"x" * 1000) + request("/echo"))
    assert [a.status for a in conn.read(3)] == [404, 404, 200]
    conn.close()


@pytest.mark.parametrize(
    "raw",
    [
        # Two framings at once: the classic smuggling attempt (the second request must never run).
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /echo?smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET /echo HTTP/1.1\nHost: x\n\n",  # bare LF
        b"GET /echo HTTP/1.1\r\nHost : x\r\n\r\n",  # space before the colon
        b"GET /echo HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n",  # folded header
        b"GET /echo?message=Hello from Java HTTP/1.1\r\nHost: x\r\n\r\n",  # unencoded space
        b"G\x00T /echo HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # TLS to the plain port
        b"GET /echo HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
    ],
)
def test_malformed_requests_get_a_400_and_the_connection_closes(server, raw):
    conn = Connection(server.port)
    conn.send(raw)
    answers = conn.read(2, timeout=2)
    assert [a.status for a in answers] == [400], answers
    assert conn.wait_closed(2)
    conn.close()


def test_an_answer_before_a_malformed_request_still_goes_out(server):
    conn = Connection(server.port)
    conn.send(request("/slow?0.1") + b"GET /echo HTTP/1.1\r\nHost : x\r\n\r\n")
    assert [a.status for a in conn.read(2)] == [200, 400]
    assert conn.wait_closed(2)


def test_a_body_over_the_route_limit_is_refused_before_it_is_read(server):
    conn = Connection(server.port)
    conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n")  # no body sent at all
    (answer,) = conn.read(1)
    assert answer.status == 413 and conn.wait_closed(2)
    chunked = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n"
        + b"a" * 64
        + b"\r\n1\r\nb\r\n0\r\n\r\n"
    )
    assert one(server.port, chunked).status == 413
    assert one(server.port, request("/slow", method="POST", body=b"x")).status == 413  # a route without bodies


def test_oversized_headers_are_refused(server):
    assert one(server.port, request("/echo", headers=[("X-Big", "a" * 20_000)])).status == 431
    assert one(server.port, request("/echo?" + "a" * 20_000)).status == 431
    assert one(server.port, request("/echo", headers=[(f"X-{n}", "1") for n in range(101)])).status == 431


def test_a_client_trickling_its_request_is_timed_out(server):
    conn = Connection(server.port)
    start = time.monotonic()
    conn.send(b"GET /echo HTTP/1.1\r\n")
    for _ in range(6):  # a byte every 0.15 s keeps the connection busy, not the request alive
        time.sleep(0.15)
        try:
            conn.send(b"X")
        except OSError:
            break
    answers = conn.read(1, timeout=2)
    assert answers and answers[0].status == 408
    assert conn.wait_closed(2) and time.monotonic() - start < 2


def test_an_idle_keep_alive_connection_is_closed(server):
    conn = Connection(server.port)
    conn.send(request("/echo"))
    assert conn.read(1)[0].status == 200
    start = time.monotonic()
    assert conn.wait_closed(3)
    assert 0.8 < time.monotonic() - start < 2.5


def test_connection_close_and_http_1_0_close_after_the_answer(server):
    conn = Connection(server.port)
    conn.send(request("/echo", close=True) + request("/echo"))
    answers = conn.read(2, timeout=1)
    assert [a.status for a in answers] == [200] and answers[0].headers["connection"] == "close"
    assert conn.wait_closed(1)
    conn = Connection(server.port)
    conn.send(b"GET /echo HTTP/1.0\r\n\r\n")
    assert conn.read(1)[0].status == 200 and conn.wait_closed(1)
    conn = Connection(server.port)
    conn.send(b"GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    answer = conn.read(1)[0]
    assert answer.headers["connection"] == "keep-alive" and not conn.wait_closed(0.2)
    conn.close()


def test_head_gets_the_headers_without_the_body(server):
    conn = Connection(server.port)
    conn.send(request("/echo", method="HEAD") + request("/echo"))
    head, get = conn.read(2, heads=[True, False])
    assert head.status == 200 and head.body == b"" and head.headers["content-length"] == str(len(b"HEAD   "))
    assert get.body == b"GET   "
    conn.close()


def test_a_failing_route_is_a_500_and_the_server_goes_on(server):
    conn = Connection(server.port)
    conn.send(request("/boom") + request("/broken") + request("/echo"))
    assert [a.status for a in conn.read(3)] == [500, 500, 200]
    conn.close()


def test_expect_100_continue_gets_its_interim_answer(server):
    conn = Connection(server.port)
    conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
    time.sleep(0.1)
    assert conn.sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    conn.send(b"hi")
    assert conn.read(1)[0].body == b"POST   hi"
    conn.close()


def test_connections_over_the_cap_are_dropped(server):
    held = [Connection(server.port) for _ in range(50)]
    for conn in held:
        conn.send(request("/echo"))
        assert conn.read(1)[0].status == 200
    extra = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    extra.sendall(request("/echo"))
    with contextlib.suppress(ConnectionResetError):  # dropped with the request unread
        assert extra.recv(100) == b""
    extra.close()
    for conn in held:
        conn.close()


def test_apps_register_their_paths_and_a_path_has_one_owner():
    assert routes.registered() == {
        "/tls/ask": "accounts.brands.edge.AskRoute",
        "/whatsapp/cloud/webhook": "messaging.channels.whatsapp.webhook_edge.WebhookRoute",
    }
    edge.register("/tls/ask", "accounts.brands.edge.AskRoute")  # the same again: fine
    with pytest.raises(ValueError, match="already registered"):
        edge.register("/tls/ask", "somewhere.Else")
