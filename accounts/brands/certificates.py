"""The certificate a brand domain really serves, seen through a TLS handshake.

The readiness page and the hourly recheck connect to the domain (port 443, or
BRAND_TLS_PROBE_ADDRESS when set: the address to connect to, the name still sent as SNI), verify
the chain against the system's trust store (or BRAND_TLS_CA_FILE) and the name, and keep what
they saw on the claim: present or not, valid or why not, and the expiry.
"""

import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

from accounts.brands.models import BrandDomain


@dataclass(frozen=True)
class Seen:
    present: bool
    valid: bool = False
    expires_at: object = None  # aware datetime
    issuer: str = ""
    error: str = ""


def _address(host):
    override = settings.BRAND_TLS_PROBE_ADDRESS
    if not override:
        return host, 443
    address, _, port = override.rpartition(":")
    return address, int(port)


def _handshake(host, context):
    """The peer's certificate (DER) after a handshake with `context`; raises OSError/SSLError."""
    timeout = settings.BRAND_TLS_TIMEOUT_SECONDS
    with socket.create_connection(_address(host), timeout=timeout) as raw:
        raw.settimeout(timeout)
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)


def _verifying_context():
    context = ssl.create_default_context(cafile=settings.BRAND_TLS_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _reading_context():
    """Only to read a certificate that did not verify (its expiry and issuer are still worth showing)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # noqa: S501 - nothing is trusted from this handshake
    return context


def _describe(der):
    cert = x509.load_der_x509_certificate(der)
    names = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME) or cert.issuer.get_attributes_for_oid(
        NameOID.ORGANIZATION_NAME
    )
    return cert.not_valid_after_utc, (names[0].value if names else cert.issuer.rfc4514_string())[:100]


def probe(host):
    """What `host` serves over TLS now."""
    try:
        der = _handshake(host, _verifying_context())
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or str(exc)
        try:
            expires_at, issuer = _describe(_handshake(host, _reading_context()))
        except (OSError, ValueError):
            return Seen(present=True, error=f"The certificate is not valid: {reason}.")
        return Seen(
            present=True, expires_at=expires_at, issuer=issuer, error=f"The certificate is not valid: {reason}."
        )
    except ssl.SSLError as exc:
        return Seen(
            present=False, error=f"No certificate is served for this name (the handshake failed: {exc.reason})."
        )
    except TimeoutError:
        return Seen(present=False, error="Nothing answered on HTTPS in time.")
    except OSError as exc:
        return Seen(present=False, error=f"HTTPS is not reachable ({exc.strerror or exc}).")
    expires_at, issuer = _describe(der)
    return Seen(present=True, valid=True, expires_at=expires_at, issuer=issuer)


def check(domain, *, now=None):
    """Probe a served domain and keep the result on its claim."""
    now = now or timezone.now()
    seen = probe(domain.host)
    fields = {
        "certificate_checked_at": now,
        "certificate_valid": seen.valid,
        "certificate_expires_at": seen.expires_at,
        "certificate_issuer": seen.issuer,
        "certificate_error": seen.error[:300],
    }
    BrandDomain.objects.filter(pk=domain.pk).update(**fields)
    for name, value in fields.items():
        setattr(domain, name, value)
    return domain


def verdict(domain, *, now=None):
    """(ready, detail, fix) of a claim's certificate for the readiness page."""
    now = now or timezone.now()
    if not domain.is_served:
        return False, "none until the domain is verified", "Verify the domain first."
    if not domain.certificate_checked_at:
        return (
            False,
            "not checked yet",
            "Check the certificates now (a verified domain gets one at its first HTTPS visit).",
        )
    if not domain.certificate_valid:
        expiry = f" (expires {domain.certificate_expires_at:%Y-%m-%d})" if domain.certificate_expires_at else ""
        return False, f"{domain.certificate_error}{expiry}", _fix_for(domain)
    left = domain.certificate_expires_at - now
    detail = f"valid until {domain.certificate_expires_at:%Y-%m-%d}, issued by {domain.certificate_issuer}"
    if left < timedelta(days=settings.BRAND_TLS_RENEW_WARN_DAYS):
        return False, f"{detail} ({max(left.days, 0)} days left)", RENEWAL_FIX
    return True, detail, ""


RENEWAL_FIX = (
    "The certificate should have been renewed by now: check that the domain still points at the "
    "portal and that ports 80 and 443 reach it."
)


def _fix_for(domain):
    if domain.certificate_expires_at and domain.certificate_expires_at <= timezone.now():
        return "The certificate has expired. " + RENEWAL_FIX
    if "reachable" in domain.certificate_error or "in time" in domain.certificate_error:
        return "Point the domain at the portal (the DNS records above) and open port 443."
    return "Open the domain once over HTTPS so a certificate is issued, then check again."
