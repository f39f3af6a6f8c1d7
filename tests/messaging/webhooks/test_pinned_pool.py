"""The delivery worker's HTTP/1.1 client against an in-process server on 127.0.0.1 (loopback only,
allowed explicitly): keep-alive reuse, body caps, chunked bodies, redirects returned, SSRF checks."""

import asyncio
import socket

import pytest

from portal.core.outbound import PinnedPool, Refused


async def serve(answers):
    """Answer each request with the next raw response; returns (server, port, seen requests, connections)."""
    seen, connections = [], []

    async def handle(reader, writer):
        connections.append(writer)
        try:
            while answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                seen.append(head + (await reader.readexactly(length) if length else b""))
                writer.write(answers.pop(0))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen, connections


def run(coro):
    return asyncio.run(coro)


def test_keep_alive_reuse_headers_and_body():
    async def scenario():
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Seen: yes\r\n\r\nok"
        server, port, seen, connections = await serve([ok, ok])
        pool = PinnedPool(allow_loopback=True)
        url = f"http://127.0.0.1:{port}/in?x=1"
        first = await pool.request("POST", url, headers={"Signature": "t=1,v1=ab"}, content=b'{"a":1}')
        second = await pool.request("POST", url, headers={}, content=b"{}")
        await pool.aclose()
        server.close()
        return first, second, seen, connections

    first, second, seen, connections = run(scenario())
    assert first.status_code == 200 and first.body == b"ok" and first.headers["x-seen"] == "yes"
    assert second.status_code == 200 and len(connections) == 1  # the connection was reused
    assert seen[0].startswith(b"POST /in?x=1 HTTP/1.1\r\n") and b"Signature: t=1,v1=ab" in seen[0]
    assert seen[0].endswith(b'{"a":1}')


@pytest.mark.parametrize(
    ("head", "kept"),
    [
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False),  # 1.0 closes unless it says otherwise
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", True),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", False),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", True),
    ],
    ids=["1.0", "1.0-keep-alive", "1.1-close", "1.1"],
)
def test_a_connection_is_kept_only_when_the_server_keeps_it(head, kept):
    async def scenario():
        server, port, _seen, connections = await serve([head, head])
        pool = PinnedPool(allow_loopback=True)
        url = f"http://127.0.0.1:{port}/in"
        await pool.request("POST", url, headers={}, content=b"{}")
        idle = sum(len(p) for p in pool.idle.values())
        await pool.request("POST", url, headers={}, content=b"{}")
        await pool.aclose()
        server.close()
        return idle, len(connections)

    idle, opened = run(scenario())
    assert idle == (1 if kept else 0)
    assert opened == (1 if kept else 2)


def test_bodies_are_capped_and_chunked_bodies_read():
    async def scenario():
        big = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000
        chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        server, port, _, connections = await serve([big, chunked])
        pool = PinnedPool(allow_loopback=True)
        url = f"http://127.0.0.1:{port}/"
        capped = await pool.request("POST", url, headers={}, content=b"", cap=100)
        whole = await pool.request("POST", url, headers={}, content=b"")
        await pool.aclose()
        server.close()
        return capped, whole, connections

    capped, whole, connections = run(scenario())
    assert capped.body == b"x" * 100
    assert whole.body == b"abcde"
    assert len(connections) == 2  # a capped body is not drained: that connection is dropped


def test_redirects_are_returned_not_followed():
    async def scenario():
        redirect = b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n"
        server, port, seen, _ = await serve([redirect])
        pool = PinnedPool(allow_loopback=True)
        response = await pool.request("POST", f"http://127.0.0.1:{port}/", headers={}, content=b"")
        await pool.aclose()
        server.close()
        return response, seen

    response, seen = run(scenario())
    assert response.status_code == 302 and response.is_redirect and len(seen) == 1


def test_loopback_needs_the_switch_and_private_names_are_refused(monkeypatch):
    async def attempt(url, **kwargs):
        return await PinnedPool(**kwargs).request("POST", url, headers={}, content=b"")

    with pytest.raises(Refused):
        run(attempt("http://127.0.0.1:9/"))
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port=None, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))],
    )
    with pytest.raises(Refused):
        run(attempt("http://internal.example.com/", allow_loopback=True))


def test_header_injection_is_refused():
    from portal.core.outbound import ProtocolError

    async def scenario():
        server, port, seen, _ = await serve([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"])
        try:
            with pytest.raises(ProtocolError):
                await PinnedPool(allow_loopback=True).request(
                    "POST", f"http://127.0.0.1:{port}/", headers={"X": "a\r\nHost: evil"}, content=b""
                )
        finally:
            server.close()
        return seen

    assert run(scenario()) == []
