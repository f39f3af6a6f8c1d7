"""Many messages sent from one event loop (`Client.send_many`): each answer in order, a wamid or
the provider error it met, with unreachable endpoints and bad answers named, never raised."""

import asyncio
import json
import socket
import threading

import pytest

from messaging.channels.whatsapp import cloud_api
from portal.core.outbound import PinnedPool, ProtocolError

pytestmark = pytest.mark.django_db


class _Number:
    phone_number_id, api_version, access_token = "PN1", "v23.0", "token"

    def __init__(self, base):
        self.api_base_url = base


def _serve(answers):
    """A loopback HTTP server answering each POST with the next (status, body) of `answers`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def run():
        for status, body in answers:
            conn, _ = listener.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, rest = data.split(b"\r\n\r\n", 1)
                length = int(
                    next(
                        v
                        for k, v in (h.split(b": ", 1) for h in head.split(b"\r\n")[1:])
                        if k.lower() == b"content-length"
                    )
                )
                while len(rest) < length:
                    rest += conn.recv(65536)
                payload = json.dumps(body).encode()
                conn.sendall(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                    + payload
                )
        listener.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_answers_come_back_in_order_with_the_providers_errors(settings):
    settings.WHATSAPP = {**settings.WHATSAPP, "connections": 1}  # one at a time: answers in order
    base = _serve([
        (200, {"messages": [{"id": "wamid.1"}]}),
        (400, {"error": {"code": 131026, "message": "Message undeliverable"}}),
        (200, {"messaging_product": "whatsapp"}),
    ])  # fmt: skip
    client = cloud_api.Client(_Number(base))
    first, second, third = client.send_many([("447700900001", {"type": "text", "text": "hi"})] * 3)
    assert first == "wamid.1"
    assert isinstance(second, cloud_api.ProviderError) and second.code == "131026" and second.status == 400
    assert isinstance(third, cloud_api.ProviderError) and third.code == "131000"  # no message id


def test_an_unreachable_endpoint_is_an_error_per_message_not_an_exception():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    client = cloud_api.Client(_Number(f"http://127.0.0.1:{port}"))
    answers = client.send_many([("447700900001", {"type": "text", "text": "hi"})] * 2)
    assert [a.code for a in answers] == ["131000", "131000"]
    assert "could not be reached" in str(answers[0])


def test_a_trusted_pool_takes_only_http_urls():
    async def ask():
        await PinnedPool(trusted=True).request("GET", "file:///etc/passwd", headers={})

    with pytest.raises(ProtocolError):
        asyncio.run(ask())


def _serve_keep_alive(answers):
    """A loopback keep-alive server answering every POST with a wamid; returns (base URL, the
    connections it accepted: a list that grows)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []

    def connection(conn):
        with conn:
            data = b""
            for _ in range(answers):
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                length = int(next(h.split(b": ", 1)[1] for h in lines if h.lower().startswith(b"content-length")))
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                payload = json.dumps({"messages": [{"id": "wamid.kept"}]}).encode()
                conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload)

    def run():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            threading.Thread(target=connection, args=(conn,), daemon=True).start()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", accepted, listener


def test_the_connections_are_kept_from_one_wave_to_the_next(settings):
    """Each wave reuses the keep-alive connections of the one before (the connector's loop and pool
    live as long as the process), instead of opening new ones every time."""
    settings.WHATSAPP = {**settings.WHATSAPP, "connections": 1}
    base, accepted, listener = _serve_keep_alive(answers=6)
    try:
        client = cloud_api.Client(_Number(base))
        for _ in range(3):
            assert client.send_many([("447700900001", {"type": "text", "text": "hi"})] * 2) == ["wamid.kept"] * 2
        assert len(accepted) == 1
    finally:
        listener.close()
