"""Outbound HTTP to customer-supplied URLs that cannot be turned against our own network (SSRF).

Four ways to use it:
- `public_address(host)` resolves a name once and answers an address only if *every* address of
  the name is public.
- `pinned_client()` gives an httpx client whose connections are checked at connect time: the
  hostname is resolved, every address checked, and the socket opened to a checked address while
  TLS (SNI, certificate) and the Host header keep the name. DNS rebinding cannot slip in between
  check and use, and the connection pool keeps per-name reuse. The client has a total deadline
  and a minimum transfer rate (`Budget`): a server that answers a byte at a time cannot hold it
  past either, whatever httpx's per-read timeouts allow.
- `download(url)` fetches a file with such a client (imports from a URL): every redirect hop
  checked, a size cap, no compressed transfer; every failure a `DownloadFailed` whose message is
  fit for the customer.
- `PinnedPool` does the same for high-volume asyncio callers (webhook delivery), whose callers
  bound each request with `asyncio.timeout` and read at most a small body.

Redirects are never followed by these clients (callers decide), and proxies from the environment
are ignored. Loopback may be allowed for local development and tests (`allow_loopback`), never
private, link-local, metadata or other reserved ranges.
"""

import asyncio
import ipaddress
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings

from portal.core.net import host_address, hosts_file_addresses

PRIVATE = "The URL points to a private or reserved address."

# Cloud metadata endpoints; all are outside the global range anyway, named here so no future
# "allow" switch can open them.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(ValueError):
    """The URL or address may not be contacted; the message is fit for the customer. `loopback`
    says the address is this machine's (a setting may open it in development)."""

    def __init__(self, message, *, loopback=False):
        super().__init__(message)
        self.loopback = loopback


def _embedded_ipv4(address):
    """IPv4 addresses hidden inside an IPv6 one (6to4, Teredo, NAT64)."""
    if address.version != 6:
        return []
    inner = []
    if address.sixtofour:
        inner.append(address.sixtofour)
    if address.teredo:
        inner.extend(address.teredo)
    if address in _NAT64:
        inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return inner


def check_address(address, *, allow_loopback=False):
    """Raise Refused unless `address` (str or ipaddress object) is a public unicast address."""
    if isinstance(address, str):
        try:
            address = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise Refused(PRIVATE) from None
    if address.version == 6 and address.ipv4_mapped:
        # ::ffff:a.b.c.d is the IPv4 address itself on a dual-stack socket.
        return check_address(address.ipv4_mapped, allow_loopback=allow_loopback)
    for inner in _embedded_ipv4(address):
        check_address(inner, allow_loopback=allow_loopback)
    if address in METADATA:
        raise Refused(PRIVATE)
    if address.is_loopback:
        if allow_loopback:
            return
        raise Refused(PRIVATE, loopback=True)
    if not address.is_global or address.is_multicast or address.is_unspecified or address.is_reserved:
        raise Refused(PRIVATE)


def resolve(host, port=None):
    """The resolver every check goes through (tests replace `socket.getaddrinfo`)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


# getaddrinfo has no timeout of its own (the system resolver's retries can take tens of seconds):
# a lookup that must answer quickly (a URL checked while a request waits) runs here and is given up
# after `timeout`; the thread finishes on its own.
_RESOLVERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


def _resolve_within(host, port, timeout):
    if timeout is None:
        return resolve(host, port)
    try:
        return _RESOLVERS.submit(resolve, host, port).result(timeout=timeout)
    except FutureTimeout:
        raise Refused(f"The host {host} could not be resolved within {timeout:g} s.") from None


def public_addresses(host, port=None, *, allow_loopback=False, timeout=None):
    """Every address of `host`, if all of them may be contacted; else Refused. A name that resolves
    to one private address among public ones is refused: the connection could pick any. A host
    that is an address (in any form `host_address` reads) is checked as such, without a lookup.
    `timeout` bounds the lookup (seconds)."""
    literal = host_address(host)
    if literal is not None:
        check_address(literal, allow_loopback=allow_loopback)
        return [str(literal)]
    try:
        infos = _resolve_within(host, port, timeout)
    except (socket.gaierror, UnicodeError, OSError):
        raise Refused(f"The host {host} could not be resolved.") from None
    addresses = []
    for info in infos:
        text = info[4][0]
        check_address(text, allow_loopback=allow_loopback)
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise Refused(f"The host {host} could not be resolved.")
    return addresses


def public_address(host, *, allow_loopback=False):
    return public_addresses(host, allow_loopback=allow_loopback)[0]


def check_url(url, *, allow_loopback=False, resolve_host=False, resolve_timeout=None):
    """Refuse anything but an http(s) URL with a host and no credentials; with `resolve_host`,
    also a host whose addresses are not public (the lookup bounded by `resolve_timeout`).
    Returns the split URL."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        raise Refused("The URL is not valid.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Only http and https URLs are allowed.")
    if parts.username or parts.password:
        raise Refused("URLs with credentials are not accepted.")
    host = parts.hostname
    name = host.rstrip(".")
    if (name == "localhost" or name.endswith(".localhost")) and not allow_loopback:
        raise Refused(PRIVATE, loopback=True)
    # The connection reads the host with the same parser (public_addresses): what is refused
    # there is refused here, at save time, whatever its spelling.
    literal = host_address(host)
    if literal is not None:
        check_address(literal, allow_loopback=allow_loopback)
    elif resolve_host:
        public_addresses(host, port, allow_loopback=allow_loopback, timeout=resolve_timeout)
    else:
        # Names the hosts file maps are answered from it before DNS: as good as literals.
        for address in hosts_file_addresses(name):
            check_address(address, allow_loopback=allow_loopback)
    return parts


class DeadlinePassed(httpcore.ReadTimeout):
    """The client's total deadline passed (httpx raises it as a ReadTimeout)."""


class TooSlow(httpcore.ReadTimeout):
    """The server sent less than the minimum rate over a whole window."""


class Budget:
    """What one client may spend: `seconds` in total (connecting, TLS, every read and write, every
    redirect hop) and at least `min_rate` bytes a second over each `window` seconds of reading.
    Every socket operation's timeout is cut to what is left, so a blocked read returns at the
    deadline instead of after httpx's per-read timeout; a server dripping a byte now and then
    fails the rate check at the end of its first window."""

    def __init__(self, seconds=None, *, min_rate=None, window=10.0, clock=time.monotonic):
        self.seconds, self.min_rate, self.window, self.clock = seconds, min_rate, window, clock
        self.started = clock()
        self.deadline = self.started + seconds if seconds else None
        self._window_start, self._window_bytes = self.started, 0

    def timeout(self, timeout):
        """`timeout` cut to what is left of the deadline; DeadlinePassed when nothing is."""
        if self.deadline is None:
            return timeout
        left = self.deadline - self.clock()
        if left <= 0:
            raise DeadlinePassed(f"took longer than {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)

    def received(self, count):
        if not self.min_rate:
            return
        now = self.clock()
        self._window_bytes += count
        if now - self._window_start >= self.window:
            if self._window_bytes < self.min_rate * (now - self._window_start):
                raise TooSlow(f"sent less than {_rate_text(self.min_rate)} for {self.window:g} s")
            self._window_start, self._window_bytes = now, 0

    def check(self):
        self.timeout(None)
        self.received(0)


def _rate_text(rate):
    return f"{rate / 1024:g} KB/s" if rate >= 1024 else f"{rate:g} bytes/s"


class _BudgetStream(httpcore.NetworkStream):
    """A connection whose every operation spends from the client's Budget."""

    def __init__(self, stream, budget):
        self._stream, self._budget = stream, budget

    def read(self, max_bytes, timeout=None):
        try:
            data = self._stream.read(max_bytes, self._budget.timeout(timeout))
        except httpcore.ReadTimeout:
            self._budget.check()  # the wait was cut at the deadline: say so
            raise
        self._budget.received(len(data))
        return data

    def write(self, buffer, timeout=None):
        try:
            self._stream.write(buffer, self._budget.timeout(timeout))
        except httpcore.WriteTimeout:
            self._budget.check()
            raise

    def close(self):
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        stream = self._stream.start_tls(ssl_context, server_hostname, self._budget.timeout(timeout))
        return _BudgetStream(stream, self._budget)

    def get_extra_info(self, info):
        return self._stream.get_extra_info(info)


class _PinnedSyncBackend(httpcore.SyncBackend):
    def __init__(self, allow_loopback, budget=None):
        self.allow_loopback = allow_loopback
        self.budget = budget

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error = None
        budget = self.budget
        lookup = budget.timeout(timeout) if budget else None
        for address in public_addresses(host, port, allow_loopback=self.allow_loopback, timeout=lookup):
            try:
                stream = super().connect_tcp(
                    address, port, budget.timeout(timeout) if budget else timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
            else:
                return _BudgetStream(stream, budget) if budget else stream
        raise error


def _pool_options(limits):
    return {
        "ssl_context": httpx.create_ssl_context(trust_env=False),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


def pinned_client(*, timeout, allow_loopback=False, limits=None, deadline=None, min_rate=None, window=None, **kwargs):
    """A sync httpx client that checks every connection's address (see module docstring), for one
    task: everything it does spends one Budget of `deadline` seconds (default: the largest of
    `timeout`'s values, so one request cannot outlast it by reading a byte per timeout) and
    `min_rate` bytes per second over `window` seconds of reading (default OUTBOUND_MIN_BYTES_PER_SECOND
    and OUTBOUND_RATE_WINDOW_SECONDS)."""
    limits = limits or httpx.Limits()
    if deadline is None:
        parts = httpx.Timeout(timeout)
        deadline = max(v for v in (parts.connect, parts.read, parts.write, parts.pool, 0) if v is not None)
    budget = Budget(
        deadline or None,
        min_rate=settings.OUTBOUND_MIN_BYTES_PER_SECOND if min_rate is None else min_rate,
        window=settings.OUTBOUND_RATE_WINDOW_SECONDS if window is None else window,
    )
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        network_backend=_PinnedSyncBackend(allow_loopback, budget), **_pool_options(limits)
    )
    client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False, **kwargs)
    client.budget = budget
    return client


class DownloadFailed(Exception):
    """A download that did not complete; the message says why, fit for the customer."""


MAX_REDIRECTS = 3


def download(url, *, max_bytes, allow_loopback=False, deadline=None, min_rate=None, window=None, client=None):
    """The body of `url`, at most `max_bytes`, following up to MAX_REDIRECTS redirects (each hop
    checked like the first). Raises Refused for a URL or address that may not be contacted and
    DownloadFailed for everything else (unreachable, an HTTP error, too slow, too long, too large).
    The deadline (default OUTBOUND_DOWNLOAD_DEADLINE_SECONDS) covers every hop together."""
    deadline = settings.OUTBOUND_DOWNLOAD_DEADLINE_SECONDS if deadline is None else deadline
    client = client or pinned_client(
        timeout=httpx.Timeout(
            settings.OUTBOUND_READ_TIMEOUT_SECONDS, connect=settings.OUTBOUND_CONNECT_TIMEOUT_SECONDS
        ),
        allow_loopback=allow_loopback,
        deadline=deadline,
        min_rate=min_rate,
        window=window,
    )
    with client:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, allow_loopback=allow_loopback)
            try:
                with client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    return _body(response, max_bytes)
            except httpx.HTTPError as exc:
                raise DownloadFailed(_failure(exc, deadline)) from None
        raise DownloadFailed(f"The URL redirected more than {MAX_REDIRECTS} times.")


def _body(response, max_bytes):
    if response.status_code != 200:
        raise DownloadFailed(f"The URL answered HTTP {response.status_code}.")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # Asked for identity: a compressed answer is not unpacked (its size would be unbounded).
        raise DownloadFailed(f"The server sent the file compressed ({encoding}); it must be sent uncompressed.")
    too_large = f"The file is larger than {_size_text(max_bytes)}."
    try:
        if int(response.headers.get("content-length", "0")) > max_bytes:
            raise DownloadFailed(too_large)
    except ValueError:
        raise DownloadFailed("The server sent an invalid Content-Length.") from None
    body = bytearray()
    for chunk in response.iter_raw():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise DownloadFailed(too_large)
    return bytes(body)


def _size_text(size):
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _failure(exc, deadline):
    """The customer's reason for a failed transfer (no addresses or internals)."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, TooSlow):
        return f"The download was too slow: the server {cause}."
    if isinstance(cause, DeadlinePassed):
        return f"The download took longer than {deadline:g} s."
    if isinstance(exc, httpx.ConnectTimeout):
        return "The server did not accept the connection in time."
    if isinstance(exc, httpx.TimeoutException):
        return "The server stopped sending before the file was complete."
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text:
            return "The server refused the connection."
        if "certificate" in text or "ssl" in text:
            return "The server's TLS certificate could not be verified."
        return "The server could not be reached."
    if isinstance(exc, httpx.RemoteProtocolError):
        return "The server closed the connection before the file was complete."
    return "The download failed (the connection was interrupted)."


class Response:
    __slots__ = ("status_code", "headers", "body")

    def __init__(self, status_code, headers, body):
        self.status_code, self.headers, self.body = status_code, headers, body

    @property
    def is_redirect(self):
        return 300 <= self.status_code < 400 and "location" in self.headers


class ProtocolError(OSError):
    pass


class PinnedPool:
    """A small asyncio HTTP/1.1 client for high-volume callbacks (webhook delivery).

    httpx's async pool loses most of its throughput under concurrency (hundreds of requests a
    second on this hardware); this one keeps idle keep-alive connections per origin and does only
    what callbacks need: one request, status, headers, a body read up to a cap. Every new
    connection resolves the name, checks every address (`public_addresses`) and connects to a
    checked one, with TLS (SNI and certificate) for the name. Redirects are returned, not followed.
    Callers bound each request with `asyncio.timeout`; a cancelled request closes its connection.

    `trusted=True` is for endpoints the platform's staff configure (a provider's API), not
    customers: the address checks are skipped, so a provider on a private network or the local
    simulator can be reached; only http(s) URLs with a host are taken.
    """

    def __init__(self, *, allow_loopback=False, max_idle_per_origin=64, ssl_context=None, trusted=False):
        self.allow_loopback = allow_loopback
        self.trusted = trusted
        self.max_idle = max_idle_per_origin
        self.ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)
        self.idle = {}

    async def _connect(self, scheme, host, port):
        loop = asyncio.get_running_loop()
        if self.trusted:
            addresses = [host]
        else:
            addresses = await loop.run_in_executor(
                None, lambda: public_addresses(host, port, allow_loopback=self.allow_loopback)
            )
        error = None
        for address in addresses:
            try:
                if scheme == "https":
                    return await asyncio.open_connection(
                        address, port, ssl=self.ssl_context, server_hostname=host, limit=65536
                    )
                return await asyncio.open_connection(address, port, limit=65536)
            except OSError as exc:
                error = exc
        raise error

    async def request(self, method, url, *, headers, content=b"", cap=65536):
        if self.trusted:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ProtocolError("Only http and https URLs with a host can be requested.")
        else:
            parts = check_url(url, allow_loopback=self.allow_loopback)
        scheme, host = parts.scheme, parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
        origin = (scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = f"[{host}]" if ":" in host else host
        if parts.port:
            host_header += f":{parts.port}"
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}", f"Content-Length: {len(content)}"]
        for name, value in headers.items():
            name, value = str(name), str(value)
            if "\r" in name or "\n" in name or "\r" in value or "\n" in value or ":" in name:
                raise ProtocolError("Header names and values may not contain line breaks.")
            if name.lower() not in ("host", "content-length", "transfer-encoding"):
                lines.append(f"{name}: {value}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + content
        pool = self.idle.setdefault(origin, [])
        connection = None
        while pool and connection is None:
            reader, writer = pool.pop()
            if not writer.is_closing() and not reader.at_eof():
                connection = (reader, writer)
        fresh = connection is None
        reader, writer = connection if connection else await self._connect(scheme, host, port)
        reusable = False
        try:
            try:
                writer.write(data)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                if fresh or getattr(exc, "partial", b""):
                    raise
                # A kept-alive connection the server had closed: one retry on a new one.
                writer.close()
                reader, writer = await self._connect(scheme, host, port)
                writer.write(data)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            version, status, response_headers = _parse_head(head)
            body, complete = await _read_body(reader, method, status, response_headers, cap)
            reusable = complete and _keeps_alive(version, response_headers)
            return Response(status, response_headers, body)
        finally:
            if reusable and len(pool) < self.max_idle:
                pool.append((reader, writer))
            else:
                writer.close()

    async def aclose(self):
        for pool in self.idle.values():
            for _, writer in pool:
                writer.close()
        self.idle.clear()


def _parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    try:
        version, code, *_ = lines[0].split(" ", 2)
        status = int(code)
    except ValueError:
        raise ProtocolError("The answer is not HTTP.") from None
    if not version.startswith("HTTP/1."):
        raise ProtocolError("The answer is not HTTP/1.x.")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return version, status, headers


def _keeps_alive(version, headers):
    """Whether the server keeps the connection open: HTTP/1.1 unless it says `close`, HTTP/1.0
    only when it says `keep-alive`. Keeping one the server closes sends the next request into a
    closing connection, and its retry can deliver a callback twice."""
    said = headers.get("connection", "").lower()
    return said != "close" if version == "HTTP/1.1" else said == "keep-alive"


async def _read_body(reader, method, status, headers, cap):
    """(body up to `cap`, whether the body was read to its end so the connection can be reused)."""
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b"", True
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ProtocolError("Bad chunked encoding.") from None
            if size == 0:
                await _skip_trailers(reader)
                return bytes(body[:cap]), True
            if len(body) + size > cap:
                body.extend(await reader.read(cap - len(body)))
                return bytes(body[:cap]), False
            body.extend(await reader.readexactly(size))
            await reader.readexactly(2)
    if "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise ProtocolError("Bad Content-Length.") from None
        if length <= cap:
            return await reader.readexactly(length), True
        return await reader.readexactly(cap), False
    # Delimited by the connection closing: read up to the cap, never reuse.
    body = bytearray()
    while len(body) < cap:
        chunk = await reader.read(cap - len(body))
        if not chunk:
            break
        body.extend(chunk)
    return bytes(body), False


async def _skip_trailers(reader):
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            return
