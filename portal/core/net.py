"""Client address resolution that only believes X-Forwarded-For from trusted proxies."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _trusted_networks(entries):
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def parse_ip(value):
    """An address as a proxy or server may write it (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`,
    `::ffff:1.2.3.4`), canonical and with IPv4-mapped IPv6 unwrapped; None when it is not one."""
    text = (value or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address


def _is_trusted(address, networks):
    return address is not None and any(address.version == n.version and address in n for n in networks)


def client_ip(request):
    """The caller's address as a canonical string, or "" when it cannot be known.

    REMOTE_ADDR, unless it is a trusted proxy: then the right-most X-Forwarded-For hop that is
    not itself a trusted proxy (hops left of it are written by the client and can be forged).
    A malformed hop where the client should be yields "" so IP whitelists deny the request."""
    remote = parse_ip(request.META.get("REMOTE_ADDR"))
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not _is_trusted(remote, networks):
        return str(remote) if remote is not None else ""
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = parse_ip(hop)
        if not _is_trusted(address, networks):
            return str(address) if address is not None else ""
    # Every hop is a proxy of ours (or there is no header): the request started inside.
    return str(parse_ip(hops[0]) if hops else remote)
