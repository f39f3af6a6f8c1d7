"""HTTP/1.1 for the edge server: one asyncio Protocol per connection, parsed by httptools (llhttp,
Node's parser: strict about framing, so a request is never split two ways — Content-Length
beside Transfer-Encoding, a repeated Content-Length, bare LF line ends and folded headers are
all refused with a 400 and the connection closed).

- Keep-alive and pipelining: answers go out in request order; a connection holds at most
  `Limits.pipelined` parsed requests before it stops reading.
- Limits: request line and headers together at most `header_bytes` (431), a body at most the
  route's `max_body` (413, from Content-Length before the body is read, or as a chunked body
  grows), `request_seconds` to send a whole request (408: a slow client cannot hold a connection
  open by trickling bytes), `keepalive_seconds` idle between requests.
- Anything but a registered path: 404. A handler's exception: 500, logged.
"""

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from email.utils import formatdate

import httptools

from portal.core.edge.messages import Request, Response

log = logging.getLogger(__name__)

UNROUTED_BODY = 64 * 1024  # read and dropped, so a POST to an unknown path gets its 404


@dataclass(frozen=True)
class Limits:
    header_bytes: int = 16 * 1024
    headers: int = 100
    pipelined: int = 32
    request_seconds: float = 10.0
    keepalive_seconds: float = 150.0  # longer than a proxy's idle pool (Caddy: 2 min), so it closes first
    connections: int = 4096


class _Clock:
    """The Date header, formatted once a second."""

    second, text = -1, ""

    def now(self):
        second = int(time.time())
        if second != self.second:
            self.second, self.text = second, formatdate(second, usegmt=True)
        return self.text


class _Refusal(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.response = Response(status, message.encode())


class Connections:
    """What the protocols of one server share: the routes, the limits, the open connections, and
    one sweep that expires their deadlines. A timer per request (armed for the request, then
    for the idle wait) cost more than parsing it; a deadline is a float the sweep compares."""

    def __init__(self, routes, limits):
        self.routes, self.limits, self.open, self.clock = routes, limits, set(), _Clock()
        self.interval = min(1.0, max(0.05, min(limits.request_seconds, limits.keepalive_seconds) / 4))
        self.sweeper = None

    def start(self, loop):
        self.loop = loop
        self.sweeper = loop.call_later(self.interval, self._sweep)

    def stop(self):
        if self.sweeper is not None:
            self.sweeper.cancel()

    def _sweep(self):
        now = self.loop.time()
        for protocol in [p for p in self.open if p.expire is not None and p.deadline <= now]:
            expire, protocol.expire = protocol.expire, None
            expire()
        self.sweeper = self.loop.call_later(self.interval, self._sweep)


class EdgeProtocol(asyncio.Protocol):
    def __init__(self, shared):
        self.shared, self.limits = shared, shared.limits
        self.parser = httptools.HttpRequestParser(self)
        self.transport = None
        self.queue = deque()  # (request, route, keep_alive) waiting, or a final refusal Response
        self.busy = False  # an awaitable answer is pending
        self.closing = False
        self.parsing = False
        self.deadline, self.expire = 0.0, None  # when, and what to do then (Connections._sweep)
        self.paused = set()  # why reading is paused: "queue" and/or "write"
        self._reset()

    def _reset(self):
        self.url, self.headers, self.size, self.body, self.body_size = [], {}, 0, [], 0
        self.route, self.max_body = None, 0

    # Connection events

    def connection_made(self, transport):
        self.transport = transport
        if len(self.shared.open) >= self.limits.connections:
            transport.abort()
            self.closing = True
            return
        self.shared.open.add(self)
        self._arm(self.limits.keepalive_seconds, self._idle_expired)

    def connection_lost(self, exc):
        self.closing = True
        self.shared.open.discard(self)
        self._disarm()
        self.queue.clear()

    def pause_writing(self):
        self._pause("write")

    def resume_writing(self):
        self._resume("write")

    def data_received(self, data):
        if self.closing:
            return
        try:
            self.parser.feed_data(data)
        except _Refusal as refusal:  # raised by our own callbacks, re-raised by the parser
            self._refuse(refusal.response)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _Refusal):
                self._refuse(error.__context__.response)
            else:
                log.exception("edge parser callback failed")
                self._refuse(Response(500, b"Internal Server Error"))
        except httptools.HttpParserUpgrade:  # CONNECT
            self._refuse(Response(400, b"Bad Request: upgrades are not served."))
        except httptools.HttpParserError:
            self._refuse(Response(400, b"Bad Request: malformed request."))

    # Parser callbacks

    def on_message_begin(self):
        self.parsing = True
        self._reset()
        self._arm(self.limits.request_seconds, self._request_expired)

    def on_url(self, url):
        self.url.append(url)
        self._count(len(url))

    def on_header(self, name, value):
        self._count(len(name) + len(value) + 4)
        if len(self.headers) >= self.limits.headers:
            raise _Refusal(431, "Request Header Fields Too Large")
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self):
        try:
            url = httptools.parse_url(b"".join(self.url))
        except httptools.HttpParserInvalidURLError:
            raise _Refusal(400, "Bad Request: malformed URL.") from None
        self.path = url.path.decode("latin-1")
        self.query = (url.query or b"").decode("latin-1")
        self.route = self.shared.routes.get(self.path)
        self.max_body = self.route.max_body if self.route is not None else UNROUTED_BODY
        if "upgrade" in self.headers and "upgrade" in self.headers.get("connection", "").lower():
            raise _Refusal(400, "Bad Request: upgrades are not served.")  # llhttp would stop parsing after it
        length = self.headers.get("content-length")
        if length is not None and int(length) > self.max_body:  # llhttp has checked it is a number
            raise _Refusal(413, "Content Too Large")
        if self.headers.get("expect", "").lower() == "100-continue":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body):
        self.body_size += len(body)
        if self.body_size > self.max_body:
            raise _Refusal(413, "Content Too Large")
        if self.route is not None:
            self.body.append(body)

    def on_message_complete(self):
        self.parsing = False
        self._disarm()
        method = self.parser.get_method().decode("latin-1")
        request = Request(method, self.path, self.query, self.headers, b"".join(self.body))
        keep_alive = self.parser.should_keep_alive()
        if keep_alive and self.parser.get_http_version() == "1.0":
            keep_alive = "1.0"  # said so in the answer: an HTTP/1.0 client assumes close otherwise
        self.queue.append((request, self.route, keep_alive))
        self._reset()
        if len(self.queue) >= self.limits.pipelined:
            self._pause("queue")
        if not self.busy:
            self._run()

    def _count(self, size):
        self.size += size
        if self.size > self.limits.header_bytes:
            raise _Refusal(431, "Request Header Fields Too Large")

    # Answering

    def _run(self):
        while self.queue and not self.busy and not self.closing:
            item = self.queue.popleft()
            if isinstance(item, Response):
                self._write(item, head=False, close=True)
                return
            request, route, keep_alive = item
            try:
                answer = Response(404, b"Not Found") if route is None else route.handle(request)
            except Exception:
                log.exception("edge route failed: %s", request.path)
                answer = Response(500, b"Internal Server Error")
            if isinstance(answer, Response):
                self._write(answer, head=request.method == "HEAD", close=not keep_alive, keep_alive=keep_alive)
                continue
            self.busy = True
            task = asyncio.ensure_future(answer)
            task.add_done_callback(lambda done, r=request, k=keep_alive: self._finished(done, r, k))
            return
        if "queue" in self.paused and len(self.queue) < self.limits.pipelined:
            self._resume("queue")
        if not self.queue and not self.busy and not self.parsing and not self.closing:
            self._arm(self.limits.keepalive_seconds, self._idle_expired)

    def _finished(self, task, request, keep_alive):
        self.busy = False
        if task.cancelled():
            answer = Response(503, b"Service Unavailable")
        elif task.exception() is not None:
            log.error("edge route failed: %s", request.path, exc_info=task.exception())
            answer = Response(500, b"Internal Server Error")
        else:
            answer = task.result()
        self._write(answer, head=request.method == "HEAD", close=not keep_alive, keep_alive=keep_alive)
        self._run()

    def _write(self, response, *, head, close, keep_alive=True):
        if self.closing or self.transport.is_closing():
            return
        body = response.body
        lines = [
            f"HTTP/1.1 {response.status}\r\nDate: {self.shared.clock.now()}\r\n"
            f"Content-Type: {response.content_type}\r\nContent-Length: {len(body)}\r\n"
        ]
        lines.extend(f"{name}: {value}\r\n" for name, value in response.headers)
        if close:
            lines.append("Connection: close\r\n")
        elif keep_alive == "1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        data = "".join(lines).encode("latin-1")
        self.transport.write(data if head else data + body)
        if close:
            self.closing = True
            self._disarm()
            self.queue.clear()
            self.transport.close()

    def _refuse(self, response):
        """Answer what was parsed before, then `response`, then close; read nothing more."""
        self.parsing = False
        self._pause("refused")
        self.queue.append(response)
        if not self.busy:
            self._run()

    # Timers and flow control

    def _arm(self, seconds, callback):
        self.deadline, self.expire = self.shared.loop.time() + seconds, callback

    def _disarm(self):
        self.expire = None

    def _idle_expired(self):
        if not self.closing:
            self.closing = True
            self.transport.close()

    def _request_expired(self):
        if self.parsing and not self.closing:
            self._refuse(Response(408, b"Request Timeout"))

    def _pause(self, reason):
        if not self.paused and not self.transport.is_closing():
            self.transport.pause_reading()
        self.paused.add(reason)

    def _resume(self, reason):
        self.paused.discard(reason)
        if not self.paused and not self.transport.is_closing():
            self.transport.resume_reading()
