"""IP whitelist entries of API keys, parsed strictly.

The catalog's examples carry a port (`127.0.0.1:8000`, `127.0.0.1:8000/0`); reading the second as
"an address, prefix 0" silently turned a whitelist into `0.0.0.0/0`, open to everyone. So an
entry is an address or a network in prefix notation and nothing else: a port, a netmask, a zone,
host bits right of the prefix or a leading zero is an error naming the entry. A prefix wider than
/8 (IPv4) or /32 (IPv6) needs an explicit confirmation, and IPv4-mapped IPv6 entries
(`::ffff:203.0.113.7`) are stored as the IPv4 they mean, so they match IPv4 clients.
"""

import ipaddress
import re

WIDEST_UNCONFIRMED = {4: 8, 6: 32}
_ENTRY = re.compile(r"^(?P<address>[0-9A-Fa-f:.]+)(?:/(?P<prefix>0|[1-9][0-9]{0,2}))?$")
_WITH_PORT = re.compile(r"^\[[^\]]*\]:\d+|^[0-9.]+:\d+(/.*)?$")


class WhitelistError(ValueError):
    """Entries that are not addresses or networks; `wide` when the only problem is width."""

    def __init__(self, message, *, wide=False):
        super().__init__(message)
        self.message = message
        self.wide = wide


def _network(entry):
    """The network an entry names, or the reason it names none."""
    if _WITH_PORT.match(entry):
        return None, f"{entry} carries a port; enter the address alone (whitelists restrict addresses, not ports)"
    match = _ENTRY.match(entry)
    if match is None:
        return None, f"{entry} is not an IP address or a network in prefix notation (203.0.113.0/24)"
    address, prefix = match["address"], match["prefix"]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None, f"{entry} is not an IP address"
    max_prefix = ip.max_prefixlen
    length = int(prefix) if prefix is not None else max_prefix
    if length > max_prefix:
        return None, f"{entry}: the prefix of an IPv{ip.version} network is at most /{max_prefix}"
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:a.b.c.d/n is the IPv4 network a.b.c.d/(n-96)
        if length < 96:
            return None, f"{entry}: an IPv4-mapped network needs a prefix of at least /96"
        ip, length = ip.ipv4_mapped, length - 96
    network = ipaddress.ip_network(f"{ip}/{length}", strict=False)
    if network.network_address != ip:
        return None, f"{entry} has bits set right of its prefix; did you mean {network}?"
    return network, None


def is_wide(network):
    return network.prefixlen < WIDEST_UNCONFIRMED[network.version]


def parse(text, *, confirm_wide=False):
    """Canonical network strings (`203.0.113.7/32`) of a comma, space or newline separated list.
    Raises WhitelistError naming every bad entry, or (`wide=True`) the too-wide ones when they
    were not confirmed."""
    networks, bad, wide = [], [], []
    for entry in (text or "").replace(",", " ").split():
        network, problem = _network(entry)
        if problem:
            bad.append(problem)
            continue
        if is_wide(network) and not confirm_wide:
            wide.append(str(network))
        if str(network) not in networks:
            networks.append(str(network))
    if bad:
        raise WhitelistError("; ".join(bad) + ".")
    if wide:
        raise WhitelistError(
            f"{', '.join(wide)} allows a very wide range of addresses (wider than /8 for IPv4 or /32 for "
            "IPv6; /0 allows everyone). Confirm wide ranges to keep it.",
            wide=True,
        )
    return networks
