"""Custom domains: claim, DNS records to publish, verification, drift, release.

A claim is `pending` until DNS shows both records exactly: the TXT ownership token of *this*
claim at `<prefix>.<host>`, and the host pointing at the platform (a CNAME to the target, or
A/AAAA records that are all the platform's addresses, for an apex). Then it is `verified` and
served. A verified domain whose records drift is `failing` (still served; the brand's owners are
told) and is dropped (`removed`) after BRAND_DOMAIN_DROP_AFTER_DAYS. Removing releases the host
at once. Another brand may claim a served host, but it only takes it by verifying its own fresh
token, and the previous holder loses it in the same transaction.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import validate_host
from django.utils import timezone

from accounts.brands import ask, certificates, dns, resolve
from accounts.brands.models import BrandDomain, DomainKind, DomainStatus
from accounts.brands.records import Record
from accounts.notifications.models import Level
from accounts.notifications.services import notify
from accounts.services import audit
from portal.core.errors import Conflict, DomainError

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
SERVED = (DomainStatus.VERIFIED, DomainStatus.FAILING)


def normalise(host):
    """A host name as stored (lower case, no final dot), or DomainError for anything else:
    no scheme, port, path, wildcard or IP address."""
    value = (host or "").strip().lower().rstrip(".")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise DomainError("Enter a domain name such as portal.example.com.", field="host") from None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise DomainError("Enter a domain name such as portal.example.com.", field="host")
    if validate_host(value, settings.PLATFORM_HOSTS) or value.endswith(".localhost"):
        raise DomainError("This name belongs to the platform.", field="host")
    return value


def txt_name(domain):
    return f"{settings.BRAND_DOMAIN_TXT_PREFIX}.{domain.host}"


def is_apex(host):
    return host.count(".") == 1


def records_to_publish(domain):
    """What the brand creates in its DNS zone for `domain`."""
    records = [Record("TXT", txt_name(domain), domain.token)]
    if is_apex(domain.host):
        for address in settings.BRAND_DOMAIN_ADDRESSES:
            records.append(Record("AAAA" if ":" in address else "A", domain.host, address))
    else:
        records.append(Record("CNAME", domain.host, settings.BRAND_DOMAIN_CNAME_TARGET))
    return records


@dataclass
class CheckResult:
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def inspect(domain):
    """Compare the published DNS with the exact values expected (no writes)."""
    result = CheckResult()
    try:
        tokens = dns.lookup(txt_name(domain), "TXT")
        if domain.token not in tokens:
            found = ", ".join(f'"{t}"' for t in tokens) or "no record"
            result.problems.append(f'TXT {txt_name(domain)} must be "{domain.token}" (found {found}).')
        targets = dns.lookup(domain.host, "CNAME")
        target = settings.BRAND_DOMAIN_CNAME_TARGET
        if targets:
            if targets != [target]:
                result.problems.append(f"CNAME {domain.host} must be {target} (found {', '.join(targets)}).")
        else:
            addresses = dns.lookup(domain.host, "A") + dns.lookup(domain.host, "AAAA")
            allowed = set(settings.BRAND_DOMAIN_ADDRESSES)
            if not addresses:
                result.problems.append(f"{domain.host} must be a CNAME to {target} (found nothing).")
            elif not set(addresses) <= allowed:
                stray = ", ".join(sorted(set(addresses) - allowed))
                result.problems.append(
                    f"{domain.host} points at {stray}, not at the platform ({', '.join(sorted(allowed))})."
                )
    except dns.DnsUnavailable as exc:
        result.problems.append(str(exc))
    return result


def add_domain(*, brand, host, kind=DomainKind.PORTAL, actor=None):
    """A pending claim with a fresh token. The same brand cannot claim a host twice; a host
    another brand serves may be claimed, and is only taken by verifying (`check`)."""
    host = normalise(host)
    if kind not in DomainKind.values:
        raise DomainError("Choose what the domain is for.", field="kind")
    if BrandDomain.objects.filter(brand=brand, host=host).exclude(status=DomainStatus.REMOVED).exists():
        raise Conflict("This brand has already added this domain.")
    with transaction.atomic():
        domain = BrandDomain.objects.create(brand=brand, host=host, kind=kind)
        audit.record("brand.domain_added", account=brand.account, actor=actor, target=host)
    return domain


def remove_domain(*, domain, actor=None):
    """Release the host at once: it is no longer served, and anyone may claim it afresh."""
    with transaction.atomic():
        BrandDomain.objects.filter(pk=domain.pk).update(status=DomainStatus.REMOVED)
        audit.record("brand.domain_removed", account=domain.brand.account, actor=actor, target=domain.host)
    domain.status = DomainStatus.REMOVED
    resolve.bump()
    return domain


def check(domain, *, now=None):
    """Query DNS and move the claim on (pending -> verified, verified <-> failing, failing too
    long -> removed). DNS is read outside the transaction; the change is made under a row lock."""
    now = now or timezone.now()
    if domain.status == DomainStatus.REMOVED:
        return domain
    result = inspect(domain)
    with transaction.atomic():
        locked = BrandDomain.objects.select_for_update().select_related("brand").get(pk=domain.pk)
        if locked.status == DomainStatus.REMOVED:
            return locked
        locked.checked_at = now
        locked.last_error = " ".join(result.problems)[:300]
        if result.ok:
            _verified(locked, now)
        elif locked.status == DomainStatus.VERIFIED:
            locked.status, locked.failing_since = DomainStatus.FAILING, now
            _alert(locked, f"{locked.host} no longer points at the portal", locked.last_error, Level.WARNING)
        elif locked.status == DomainStatus.FAILING and now - locked.failing_since >= timedelta(
            days=settings.BRAND_DOMAIN_DROP_AFTER_DAYS
        ):
            locked.status = DomainStatus.REMOVED
            _alert(locked, f"{locked.host} was removed", "Its DNS records stayed wrong.", Level.ERROR)
        try:
            locked.save()
        except IntegrityError:  # another brand's claim was verified at the same moment
            raise Conflict("Another brand verified this domain at the same time; check again.") from None
    resolve.bump()
    return locked


def _verified(domain, now):
    previous = (
        BrandDomain.objects.select_for_update()
        .select_related("brand")
        .filter(host=domain.host, status__in=SERVED)
        .exclude(pk=domain.pk)
    )
    for lost in previous:
        # Taken over by a fresh verification of another brand's own token.
        lost.status = DomainStatus.REMOVED
        lost.save(update_fields=["status"])
        _alert(lost, f"{lost.host} moved to another brand", "Its DNS now shows another owner's token.", Level.ERROR)
        audit.record("brand.domain_taken_over", account=lost.brand.account, target=lost.host)
    if domain.status != DomainStatus.VERIFIED:
        domain.verified_at = now
    domain.status, domain.failing_since = DomainStatus.VERIFIED, None


def _alert(domain, title, body, level):
    """Tell the brand's owners (a platform brand has none: staff see it on the brands page)."""
    if domain.brand.account_id:
        notify(account=domain.brand.account, title=title, body=body, link="/brand/domains/", level=level)


def recheck_all(now=None):
    """The scheduled check of every claim that is not removed, and of the certificate each served
    one really presents. Returns how many were checked. `*.localhost` names (the demo brands'
    only) are skipped: they never reach DNS, browsers send them to this machine, and
    `add_domain` refuses them."""
    count = 0
    live = BrandDomain.objects.exclude(status=DomainStatus.REMOVED).exclude(host__endswith=".localhost")
    for domain in live.select_related("brand"):
        domain = check(domain, now=now)
        if domain.is_served:
            certificates.check(domain, now=now)
        count += 1
    return count


def allows_certificate(host):
    """Caddy's on-demand TLS `ask`: a certificate only for a served (verified or failing) domain
    (never the platform's own names, which have ordinary certificates)."""
    return ask.allows_certificate(host)
