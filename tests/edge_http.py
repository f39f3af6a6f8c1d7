"""A raw-socket HTTP/1.1 client for the edge server's tests: send exact bytes (pipelined,
malformed, trickled) and read back every answer, and whether the server closed the connection."""

import contextlib
import socket
import time


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def __repr__(self):
        return f"Answer({self.status}, {self.body[:60]!r})"


def _parse(data, heads):
    """Complete answers in `data` (bytes) and what is left over."""
    answers = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            data = rest
            continue
        length = 0 if heads and heads[len(answers)] else int(headers.get("content-length", 0))
        if len(rest) < length:
            break
        answers.append(Answer(status, headers, rest[:length]))
        data = rest[length:]
    return answers, data


class Connection:
    def __init__(self, port, timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer, self.closed = b"", False

    def send(self, data):
        self.sock.sendall(data)

    def read(self, count, timeout=5, heads=None):
        """`count` answers (fewer when the server closes first); `heads`: which are to HEADs."""
        heads = heads or [False] * count
        answers = []
        end = time.monotonic() + timeout
        while len(answers) < count and not self.closed and time.monotonic() < end:
            got, self.buffer = _parse(self.buffer, heads[len(answers) :])
            answers.extend(got)
            if len(answers) >= count:
                break
            self.sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
            self.buffer += chunk
        got, self.buffer = _parse(self.buffer, heads[len(answers) :])
        return answers + got

    def wait_closed(self, timeout=5):
        """Whether the server closes the connection within `timeout` (reading what it sends)."""
        end = time.monotonic() + timeout
        while not self.closed and time.monotonic() < end:
            self.sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
            self.buffer += chunk
        return self.closed

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def request(path, *, method="GET", host="127.0.0.1", headers=(), body=b"", close=False):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def one(port, data, timeout=5):
    """Send `data` on a new connection and return its first answer."""
    conn = Connection(port, timeout)
    try:
        conn.send(data)
        answers = conn.read(1, timeout)
        return answers[0] if answers else None
    finally:
        conn.close()
