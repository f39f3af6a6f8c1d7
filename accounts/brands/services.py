"""Brand changes: every writer of brands and their domains goes through here."""

from django.db import transaction
from django.utils import timezone

from accounts.brands import resolve
from accounts.brands.catalogued import CATALOGUED
from accounts.brands.models import Brand, BrandDomain, DomainKind, DomainStatus


def install_catalogued(host_suffix="localhost"):
    """Create or refresh the two catalogued brands, each served on `<slug>.<host_suffix>`
    (verified at once: `*.localhost` names always resolve to this machine). Returns the brands."""
    brands = []
    with transaction.atomic():
        for spec in CATALOGUED:
            fields = {key: value for key, value in spec.items() if key != "slug"}
            brand, _ = Brand.objects.update_or_create(slug=spec["slug"], defaults=fields)
            host = f"{brand.slug}.{host_suffix}"
            if not BrandDomain.objects.filter(host=host).exclude(status=DomainStatus.REMOVED).exists():
                BrandDomain.objects.create(
                    brand=brand,
                    host=host,
                    kind=DomainKind.PORTAL,
                    status=DomainStatus.VERIFIED,
                    is_primary=True,
                    verified_at=timezone.now(),
                )
            brands.append(brand)
    resolve.bump()
    return brands


def primary_host(brand):
    """The host links of `brand` are built on (never the request's Host header), or None."""
    if brand is None or not brand.pk:
        return None
    domains = [d for d in brand.domains.all() if d.is_served and d.kind == DomainKind.PORTAL]
    domains.sort(key=lambda d: (not d.is_primary, d.host))
    return domains[0].host if domains else None


def admits_user(brand, user):
    """Whether `user` may log in under `brand`'s hosts: staff anywhere, others when one of their
    accounts belongs to the brand."""
    if brand is None or brand.is_default or user.is_staff:
        return True
    return any(resolve.admits(brand, m.account) for m in user.memberships.select_related("account"))
