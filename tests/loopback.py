"""HTTP servers on 127.0.0.1 that misbehave on purpose, for the outbound-fetch tests: one that
drips a byte now and then, one that never stops sending, one that redirects, and a port nobody
listens on. Each runs in a daemon thread for one test (a context manager)."""

import contextlib
import socket
import threading
import time


class Server:
    """Answers every connection with `respond(sock, request_head)` in its own thread."""

    def __init__(self, respond):
        self.respond = respond
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.requests = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path="/ids.csv"):
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            self.requests.append(head.decode("latin-1"))
            self.respond(conn, head, self.stopping)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.listener.close()
        self.thread.join(timeout=2)


def ok(body, content_type="text/csv", extra=""):
    def respond(conn, head, stopping):
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}"
            "Connection: close\r\n\r\n".encode()
            + body
        )

    return respond


def drip(every=0.5, byte=b"1"):
    """Headers at once, then one byte every `every` seconds, never finishing."""

    def respond(conn, head, stopping):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n")
        while not stopping.wait(every):
            conn.sendall(byte)

    return respond


def endless(chunk=b"111\n" * 2048, every=0.05):
    """A body that flows well above any minimum rate and never ends."""

    def respond(conn, head, stopping):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n")
        while not stopping.wait(every):
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    return respond


def redirect(location):
    def respond(conn, head, stopping):
        conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode())

    return respond


def refused_port():
    """A loopback port with nothing listening (a connection to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def elapsed(since):
    return time.monotonic() - since
