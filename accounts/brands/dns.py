"""DNS lookups for domain checks, through the resolver the settings name (DNS_NAMESERVERS,
`host:port` entries; empty: the system's)."""

import dns.exception
import dns.name
import dns.resolver
from django.conf import settings


class DnsUnavailable(Exception):
    """No nameserver answered: the check says nothing about the records."""


def _resolver():
    if not settings.DNS_NAMESERVERS:
        resolver = dns.resolver.Resolver()
    else:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, ports = [], set()
        for entry in settings.DNS_NAMESERVERS:
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "53")
            resolver.nameservers.append(host)
            ports.add(int(port or 53))
        resolver.port = ports.pop()
    resolver.lifetime = settings.DNS_TIMEOUT_SECONDS
    return resolver


def lookup(name, rdtype):
    """The values of `name`'s `rdtype` records, as text: TXT strings joined, names lower-case
    without the final dot. An absent name or type is []."""
    try:
        answer = _resolver().resolve(dns.name.from_text(name), rdtype, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
        return []
    except (dns.exception.Timeout, dns.resolver.LifetimeTimeout) as exc:
        raise DnsUnavailable(f"DNS did not answer for {name}.") from exc
    if answer.rrset is None:
        return []
    values = []
    for record in answer.rrset:
        if rdtype == "TXT":
            values.append(b"".join(record.strings).decode("utf-8", "replace"))
        elif rdtype == "CNAME":
            values.append(record.target.to_text().rstrip(".").lower())
        else:
            values.append(record.to_text())
    return values
