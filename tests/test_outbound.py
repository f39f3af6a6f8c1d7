"""portal/core/outbound.py `download()` and the client Budget against real loopback servers: a
server that drips a byte at a time is dropped at the end of the first rate window, one that never
stops is dropped at the total deadline, a refused port and an HTTP error are reasons, not
exceptions of httpx, and redirects are checked hop by hop."""

import socket
import time

import httpx
import pytest

from portal.core import outbound
from tests import loopback


def fetch(url, **options):
    options.setdefault("max_bytes", 10_000)
    return outbound.download(url, allow_loopback=True, **options)


def test_a_file_is_downloaded_with_identity_encoding():
    with loopback.Server(loopback.ok(b"111\n222\n")) as server:
        assert fetch(server.url()) == b"111\n222\n"
    assert "accept-encoding: identity" in server.requests[0].lower()


def test_a_dripping_server_is_dropped_after_one_window():
    # The finding: a byte every 2 s held a worker 36 s. Here the window is 1 s, the minimum 100 B/s.
    started = time.monotonic()
    with loopback.Server(loopback.drip(every=0.3)) as server, pytest.raises(outbound.DownloadFailed) as exc:
        fetch(server.url(), max_bytes=10**6, deadline=30, min_rate=100, window=1)
    assert str(exc.value) == "The download was too slow: the server sent less than 100 bytes/s for 1 s."
    assert loopback.elapsed(started) < 5  # one window, and slack for a loaded machine


def test_a_server_that_never_stops_is_dropped_at_the_deadline():
    started = time.monotonic()
    with loopback.Server(loopback.endless()) as server, pytest.raises(outbound.DownloadFailed) as exc:
        fetch(server.url(), max_bytes=100 * 1024 * 1024, deadline=1.5, min_rate=1000, window=0.5)
    assert str(exc.value) == "The download took longer than 1.5 s."
    assert 1.4 < loopback.elapsed(started) < 5


def test_a_server_that_sends_nothing_is_dropped_at_the_deadline_not_after_each_read_timeout():
    # No byte at all: httpx's read timeout (10 s) would wait longer than the deadline.
    def silent(conn, head, stopping):
        stopping.wait(10)

    started = time.monotonic()
    with loopback.Server(silent) as server, pytest.raises(outbound.DownloadFailed) as exc:
        fetch(server.url(), deadline=1, min_rate=0)
    assert str(exc.value) == "The download took longer than 1 s."
    assert loopback.elapsed(started) < 4


def test_a_refused_port_is_a_reason():
    with pytest.raises(outbound.DownloadFailed) as exc:
        fetch(f"http://127.0.0.1:{loopback.refused_port()}/ids.csv")
    assert str(exc.value) == "The server refused the connection."


@pytest.mark.parametrize(
    ("respond", "reason"),
    [
        (loopback.ok(b"x" * 20_000), "The file is larger than 10,000 bytes."),
        (
            lambda c, h, s: c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
            "The URL answered HTTP 404.",
        ),
        (
            loopback.ok(b"\x1f\x8b...", extra="Content-Encoding: gzip\r\n"),
            "The server sent the file compressed (gzip); it must be sent uncompressed.",
        ),
        (
            lambda c, h, s: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"),
            "The server closed the connection before the file was complete.",
        ),
    ],
)
def test_answers_that_are_not_the_file_are_reasons(respond, reason):
    with loopback.Server(respond) as server, pytest.raises(outbound.DownloadFailed) as exc:
        fetch(server.url())
    assert str(exc.value) == reason


def test_a_chunked_answer_is_capped_while_it_arrives():
    with loopback.Server(loopback.endless()) as server, pytest.raises(outbound.DownloadFailed, match="larger than"):
        fetch(server.url(), max_bytes=50_000, deadline=10)


def test_redirects_are_followed_and_each_hop_is_checked():
    with loopback.Server(loopback.ok(b"333\n")) as target:
        with loopback.Server(loopback.redirect(target.url("/final.csv"))) as first:
            assert fetch(first.url()) == b"333\n"
        with (
            loopback.Server(loopback.redirect("http://10.0.0.8/secret")) as first,
            pytest.raises(outbound.Refused, match="private"),
        ):
            fetch(first.url())
        with (
            loopback.Server(loopback.redirect("file:///etc/passwd")) as first,
            pytest.raises(outbound.Refused, match="Only http and https"),
        ):
            fetch(first.url())


def test_redirect_loops_end():
    def to_self(conn, head, stopping):
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")

    with loopback.Server(to_self) as server, pytest.raises(outbound.DownloadFailed, match="more than 3 times"):
        fetch(server.url())


def test_loopback_is_refused_unless_allowed():
    with loopback.Server(loopback.ok(b"1\n")) as server, pytest.raises(outbound.Refused, match="private"):
        outbound.download(server.url(), max_bytes=100)


def test_every_pinned_client_has_a_deadline_from_its_timeout(settings):
    # Webhook verification's client: a 1 s timeout is also its total, however the server drips.
    settings.OUTBOUND_MIN_BYTES_PER_SECOND = 0
    started = time.monotonic()
    with loopback.Server(loopback.drip(every=0.2)) as server:
        client = outbound.pinned_client(timeout=1, allow_loopback=True)
        with client, pytest.raises(httpx.ReadTimeout):
            client.get(server.url())
    assert loopback.elapsed(started) < 4


def test_a_slow_name_lookup_is_given_up(monkeypatch):
    def slow(host, *args, **kwargs):
        time.sleep(2)
        return [(socket.AF_INET, 1, 6, "", ("93.184.216.34", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    started = time.monotonic()
    with pytest.raises(outbound.Refused, match="could not be resolved within 0.3 s"):
        outbound.check_url("http://slow.example/ids.csv", resolve_host=True, resolve_timeout=0.3)
    assert loopback.elapsed(started) < 1.5


def test_the_budget_cuts_each_operation_to_what_is_left():
    now = [100.0]
    budget = outbound.Budget(5, min_rate=10, window=2, clock=lambda: now[0])
    assert budget.timeout(10) == 5 and budget.timeout(None) == 5
    now[0] = 101.0
    budget.received(5)  # the first window is still open
    now[0] = 102.5
    budget.received(30)  # 35 bytes in 2.5 s: above 10 B/s, a new window starts
    now[0] = 104.6
    with pytest.raises(outbound.TooSlow):
        budget.received(1)  # 1 byte in 2.1 s
    now[0] = 105.0
    with pytest.raises(outbound.DeadlinePassed):
        budget.timeout(1)
