"""Absolute links of a brand: built from the brand's configured domain, never from a request's
Host header (a forged Host must not end up in a password-reset or invitation e-mail)."""

from urllib.parse import urlsplit

from django.conf import settings

from accounts.brands import current, resolve
from accounts.brands.models import DomainKind


def primary_host(brand):
    """The portal host of `brand` links are built on, or None (then the platform's SITE_URL)."""
    if brand is None or not brand.pk:
        return None
    served = [d for d in brand.domains.all() if d.is_served and d.kind == DomainKind.PORTAL]
    served.sort(key=lambda d: (not d.is_primary, d.host))
    return served[0].host if served else None


def base_url(brand=None):
    """`scheme://host[:port]` of `brand` (default: the active one). Scheme and port follow
    SITE_URL, so a local run on :8000 links to bics.localhost:8000."""
    brand = brand if brand is not None else current.get() or resolve.platform_brand()
    host = primary_host(brand)
    if host is None:
        return settings.SITE_URL
    site = urlsplit(settings.SITE_URL)
    port = f":{site.port}" if site.port else ""
    return f"{site.scheme}://{host}{port}"


def absolute(path, brand=None):
    return path if not path.startswith("/") else base_url(brand) + path


def short_url_base(brand=None):
    """Where the brand's short links live: its short-link domain, else its portal host, else
    the platform's SHORT_URL_BASE."""
    brand = brand if brand is not None else current.get()
    if brand is None:
        return settings.SHORT_URL_BASE
    if brand.short_link_domain:
        scheme = urlsplit(settings.SITE_URL).scheme
        return f"{scheme}://{brand.short_link_domain}/s"
    if primary_host(brand):
        return base_url(brand) + "/s"
    return settings.SHORT_URL_BASE
