"""A brand's mail domain: the SPF, DKIM and DMARC records it publishes, their check through DNS,
and the DKIM signature the portal puts on every e-mail sent in the brand's name (dkimpy, with an
RSA key generated here by `cryptography`)."""

import base64

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.utils import timezone

from accounts.brands import dns
from accounts.brands.records import Record

SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"mime-version", b"content-type"]
DMARC_POLICIES = {"none", "quarantine", "reject"}


def mail_domain(brand):
    """The domain of the brand's From address ("" without one: then mail goes out unsigned)."""
    return brand.email_from.rpartition("@")[2].lower() if brand.email_from else ""


def ensure_dkim_key(brand):
    """Generate the brand's 2048-bit DKIM key once; returns the brand."""
    if brand.dkim_private_key:
        return brand
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    brand.dkim_private_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    brand.dkim_public_key = base64.b64encode(public).decode()
    if brand.pk:
        brand.save(update_fields=["dkim_private_key", "dkim_public_key", "updated_at"])
    return brand


def dkim_name(brand):
    return f"{brand.dkim_selector}._domainkey.{mail_domain(brand)}"


def dkim_value(brand):
    return f"v=DKIM1; k=rsa; p={brand.dkim_public_key}"


def records_to_publish(brand):
    domain = mail_domain(brand)
    if not domain:
        return []
    ensure_dkim_key(brand)
    return [
        Record("TXT", domain, f"v=spf1 include:{settings.BRAND_SPF_INCLUDE} ~all"),
        Record("TXT", dkim_name(brand), dkim_value(brand)),
        Record("TXT", f"_dmarc.{domain}", "v=DMARC1; p=quarantine"),
    ]


def _tags(value):
    return dict(part.strip().split("=", 1) for part in value.split(";") if "=" in part)


def inspect(brand):
    """name -> problem ("" when right) for SPF, DKIM and DMARC (no writes)."""
    domain = mail_domain(brand)
    if not domain:
        return {"spf": "No From address.", "dkim": "No From address.", "dmarc": "No From address."}
    ensure_dkim_key(brand)
    found = {}
    try:
        spf = [t for t in dns.lookup(domain, "TXT") if t.lower().startswith("v=spf1")]
        include = f"include:{settings.BRAND_SPF_INCLUDE}"
        if len(spf) != 1:
            found["spf"] = f"{domain} needs exactly one SPF record (found {len(spf)})."
        elif include not in spf[0].split():
            found["spf"] = f"The SPF record of {domain} must contain {include}."
        else:
            found["spf"] = ""
        published = [_tags(t) for t in dns.lookup(dkim_name(brand), "TXT")]
        if not any(tags.get("p", "").replace(" ", "") == brand.dkim_public_key for tags in published):
            found["dkim"] = f"TXT {dkim_name(brand)} must carry this brand's public key exactly."
        else:
            found["dkim"] = ""
        dmarc = [_tags(t) for t in dns.lookup(f"_dmarc.{domain}", "TXT") if t.startswith("v=DMARC1")]
        if not dmarc or dmarc[0].get("p") not in DMARC_POLICIES:
            found["dmarc"] = f"TXT _dmarc.{domain} must be a DMARC record with a policy (p=none, quarantine or reject)."
        else:
            found["dmarc"] = ""
    except dns.DnsUnavailable as exc:
        return dict.fromkeys(("spf", "dkim", "dmarc"), str(exc))
    return found


def check(brand):
    """Check the records and keep the result on the brand (the domains page shows it)."""
    brand.email_check = inspect(brand)
    brand.email_checked_at = timezone.now()
    brand.save(update_fields=["email_check", "email_checked_at", "updated_at"])
    return brand.email_check


def signature(message_bytes, brand):
    """The `DKIM-Signature` header value for `message_bytes`, or None when the brand has no
    From domain (relaxed/relaxed: the header may be refolded and line endings change in transit)."""
    domain = mail_domain(brand)
    if not domain:
        return None
    ensure_dkim_key(brand)
    header = dkim.sign(
        message_bytes,
        brand.dkim_selector.encode(),
        domain.encode(),
        brand.dkim_private_key.encode(),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in SIGNED_HEADERS if h + b":" in message_bytes.lower()],
    )
    # Unfolded: Django refuses header values with line breaks, and relaxed canonicalisation
    # compresses whitespace, so the verifier sees the same header however it is folded.
    return " ".join(header.decode().split(":", 1)[1].split())
