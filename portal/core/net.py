"""Addresses as they are written: the client's (X-Forwarded-For believed from trusted proxies
only), and the host of a URL the way the system resolver reads it (`host_address`, the one
parser the outbound guard uses when a URL is saved and when it is connected to)."""

import ipaddress
import os
import re
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


# inet_aton's numbers: hex (0x..), octal (leading 0) or decimal; one to four of them, the last
# filling the remaining bytes (`127.1` is 127.0.0.1, `2130706433` too). glibc's getaddrinfo reads
# hosts this way before any DNS, so a URL to `0x7f.1` connects to loopback.
_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
HOSTS_FILE = "/etc/hosts"


def _inet_aton(text):
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_ATON_PART.fullmatch(p) for p in parts):
        return None
    values = [int(p, 16) if p[:2].lower() == "0x" else int(p, 8) if p.startswith("0") else int(p) for p in parts]
    *leading, last = values
    if any(v > 0xFF for v in leading) or last >= 1 << (8 * (4 - len(leading))):
        return None
    number = last
    for i, v in enumerate(leading):
        number |= v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def host_address(host):
    """The address a URL's host is, when it is one: IPv6 (a zone id dropped), IPv4 in every form
    the resolver accepts (`127.0.0.1`, `127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`), an
    IPv4-mapped IPv6 address unwrapped. None for a name."""
    text = (host or "").strip("[]").split("%", 1)[0]
    if ":" in text:
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            return None
        return address.ipv4_mapped or address
    return _inet_aton(text)


@lru_cache(maxsize=4)
def _hosts_table(path, mtime):
    table = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            fields = line.split("#", 1)[0].split()
            for name in fields[1:]:
                table.setdefault(name.lower().rstrip("."), []).append(fields[0])
    return table


def hosts_file_addresses(name, path=None):
    """The addresses the hosts file gives `name` (the resolver reads it before DNS); [] when it
    names none or there is no file."""
    path = path or HOSTS_FILE
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return []
    return _hosts_table(path, mtime).get((name or "").lower().rstrip("."), [])
