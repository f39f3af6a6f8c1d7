"""Outbound HTTP to customer-supplied URLs that cannot be turned against our own network (SSRF).

Two ways to use it:
- `public_address(host)` resolves a name once and answers an address only if *every* address of
  the name is public (the URL import pins its request to that address).
- `pinned_client()` / `pinned_async_client()` give httpx clients whose connections are checked at
  connect time: the hostname is resolved, every address checked, and the socket opened to a
  checked address while TLS (SNI, certificate) and the Host header keep the name. DNS rebinding
  cannot slip in between check and use, and connection pools keep per-name reuse.

Redirects are never followed by these clients (callers decide), and proxies from the environment
are ignored. Loopback may be allowed for local development and tests (`allow_loopback`), never
private, link-local, metadata or other reserved ranges.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

PRIVATE = "The URL points to a private or reserved address."

# Cloud metadata endpoints; all are outside the global range anyway, named here so no future
# "allow" switch can open them.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(ValueError):
    """The URL or address may not be contacted; the message is fit for the customer."""


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
    if allow_loopback and address.is_loopback:
        return
    if not address.is_global or address.is_multicast or address.is_unspecified or address.is_reserved:
        raise Refused(PRIVATE)


def resolve(host, port=None):
    """The resolver every check goes through (tests replace `socket.getaddrinfo`)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def public_addresses(host, port=None, *, allow_loopback=False):
    """Every address of `host`, if all of them may be contacted; else Refused. A name that resolves
    to one private address among public ones is refused: the connection could pick any."""
    try:
        infos = resolve(host, port)
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


def check_url(url, *, allow_loopback=False, resolve_host=False):
    """Refuse anything but an http(s) URL with a host and no credentials; with `resolve_host`,
    also a host whose addresses are not public. Returns the split URL."""
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
        raise Refused(PRIVATE)
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is not None:
        check_address(literal, allow_loopback=allow_loopback)
    elif resolve_host:
        public_addresses(host, port, allow_loopback=allow_loopback)
    return parts


class _PinnedSyncBackend(httpcore.SyncBackend):
    def __init__(self, allow_loopback):
        self.allow_loopback = allow_loopback

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error = None
        for address in public_addresses(host, port, allow_loopback=self.allow_loopback):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error


class _PinnedAsyncBackend(httpcore.AnyIOBackend):
    def __init__(self, allow_loopback):
        self.allow_loopback = allow_loopback

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = await anyio.to_thread.run_sync(
            lambda: public_addresses(host, port, allow_loopback=self.allow_loopback)
        )
        error = None
        for address in addresses:
            try:
                return await super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error


def _pool_options(limits):
    return {
        "ssl_context": httpx.create_ssl_context(trust_env=False),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


def pinned_client(*, timeout, allow_loopback=False, limits=None, **kwargs):
    """A sync httpx client that checks every connection's address (see module docstring)."""
    limits = limits or httpx.Limits()
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        network_backend=_PinnedSyncBackend(allow_loopback), **_pool_options(limits)
    )
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False, **kwargs)


def pinned_async_client(*, timeout, allow_loopback=False, limits=None, **kwargs):
    """The asyncio form of `pinned_client()`."""
    limits = limits or httpx.Limits()
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        network_backend=_PinnedAsyncBackend(allow_loopback), **_pool_options(limits)
    )
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False, **kwargs)
