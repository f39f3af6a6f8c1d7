"""What a brand has ready, and what to fix next: its web domains (DNS, certificate), its e-mail
records (SPF, DKIM, DMARC), its short-link domain, and the senders its customers use.

Apps above accounts add their own sections (senders, WhatsApp numbers) with `register(section)`
from their `AppConfig.ready()`: a section is `(brand, accounts) -> Section`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.brands import certificates, email_auth, resolve
from accounts.brands.models import DomainKind, DomainStatus


@dataclass(frozen=True)
class Item:
    name: str
    ready: bool
    detail: str = ""
    fix: str = ""  # what to do next when not ready


@dataclass
class Section:
    title: str
    items: list = field(default_factory=list)

    @property
    def ready(self):
        return bool(self.items) and all(item.ready for item in self.items)


_sections: list[Callable] = []


def register(section):
    if section not in _sections:
        _sections.append(section)


def _web(brand):
    section = Section("Web domains")
    live = [d for d in brand.domains.all() if d.status != DomainStatus.REMOVED and d.kind != DomainKind.SHORT_LINKS]
    for domain in sorted(live, key=lambda d: d.host):
        section.items.append(
            Item(
                f"{domain.host} (DNS)",
                domain.status == DomainStatus.VERIFIED,
                domain.get_status_display(),
                ""
                if domain.status == DomainStatus.VERIFIED
                else domain.last_error or "Publish the records, then check.",
            )
        )
        ready, detail, fix = certificates.verdict(domain)
        section.items.append(Item(f"{domain.host} (certificate)", ready, detail, fix))
    if not live:
        section.items.append(Item("Portal domain", False, "none", "Add a domain your customers will use."))
    return section


def _email(brand):
    section = Section("E-mail")
    if not email_auth.mail_domain(brand):
        section.items.append(Item("From address", False, "none", "Set the e-mail From address of the brand."))
        return section
    for name, label in (("spf", "SPF"), ("dkim", "DKIM"), ("dmarc", "DMARC")):
        if not brand.email_checked_at:
            section.items.append(Item(label, False, "not checked yet", "Publish the records, then check them."))
        else:
            problem = brand.email_check.get(name, "not checked")
            section.items.append(Item(label, not problem, "published" if not problem else "wrong", problem))
    return section


def _short_links(brand):
    section = Section("Short links")
    host = brand.short_link_domain
    if not host:
        section.items.append(Item("Short-link domain", False, "none", "Staff set the brand's short-link domain."))
        return section
    domain = next((d for d in brand.domains.all() if d.host == host and d.is_served), None)
    section.items.append(
        Item(
            host,
            domain is not None,
            "served" if domain else "not verified",
            "" if domain else f"Add {host} as a short-link domain and verify it.",
        )
    )
    if domain is not None:
        ready, detail, fix = certificates.verdict(domain)
        section.items.append(Item(f"{host} (certificate)", ready, detail, fix))
    return section


def check_certificates(brand):
    """Handshake with every served domain of `brand` now (the page's button)."""
    for domain in brand.domains.filter(status__in=resolve.SERVED):
        certificates.check(domain)


def report(brand):
    """Every section for `brand`, built-in ones first."""
    accounts = resolve.accounts_of(brand)
    return [_web(brand), _email(brand), _short_links(brand), *(section(brand, accounts) for section in _sections)]
