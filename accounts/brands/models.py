"""Brands (the names the platform is sold under) and the host names each one is served on."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import models

from portal.core.tenancy import TenantQuerySet

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_colour(value):
    # Colours go into a stylesheet: only `#rrggbb`, so no value can close the rule or add another.
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError("Enter a colour as #rrggbb.")


class Module(models.TextChoices):
    """Parts of the v2 API a brand sells or not (its product codes are chosen separately)."""

    RCS = "rcs", "RCS messaging"
    VERIFY_OMNICHANNEL = "verify_omnichannel", "Verify omnichannel profiles"


# The v2 paths each module owns: under a brand that does not sell it they do not exist (404).
MODULE_PATHS = {
    Module.RCS: ("/api/v2/rcs/",),
    Module.VERIFY_OMNICHANNEL: ("/api/v2/verify/profiles", "/api/v2/verify/omnichannel/"),
}


def unsold_paths(brand):
    return tuple(prefix for module, prefixes in MODULE_PATHS.items() if not brand.sells(module) for prefix in prefixes)


PLATFORM_SLUG = "platform"


def all_modules():
    return list(Module.values)


class Brand(models.Model):
    """A name the platform is sold under: its look, its texts, its e-mail identity and its
    catalogue (the product codes and API modules it sells).

    `account` is the reseller that owns the brand (null: a platform brand that staff manage);
    its child accounts inherit it (accounts.brands.resolve). The platform's own host names have
    no row: their brand is made from the settings (`resolve.platform_brand`, `is_default`).
    """

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="owned_brands"
    )
    # Look
    primary_colour = models.CharField(max_length=7, default="#1f5eff", validators=[validate_colour])
    primary_ink_colour = models.CharField(max_length=7, default="#ffffff", validators=[validate_colour])
    soft_colour = models.CharField(max_length=7, default="#e8efff", validators=[validate_colour])
    sidebar_colour = models.CharField(max_length=7, default="#17202c", validators=[validate_colour])
    logo = models.BinaryField(blank=True, default=b"", editable=True)
    logo_type = models.CharField(max_length=40, blank=True)
    favicon = models.BinaryField(blank=True, default=b"", editable=True)
    favicon_type = models.CharField(max_length=40, blank=True)
    # Texts
    login_title = models.CharField(max_length=120, blank=True)
    login_text = models.TextField(blank=True)
    support_email = models.EmailField(blank=True)
    support_url = models.URLField(blank=True)
    legal_footer = models.CharField(max_length=300, blank=True)
    show_powered_by = models.BooleanField(default=False)
    # E-mail identity, short links, API reference
    email_from = models.EmailField(blank=True)
    email_from_name = models.CharField(max_length=100, blank=True)
    reply_to = models.EmailField(blank=True)
    # DKIM: the portal signs the brand's mail with a key it generates (accounts.brands.email_auth);
    # the public half is published at `<selector>._domainkey.<From domain>`.
    dkim_selector = models.CharField(max_length=63, default="brand")
    dkim_private_key = models.TextField(blank=True, editable=False)
    dkim_public_key = models.TextField(blank=True, editable=False)
    # The last check of the SPF, DKIM and DMARC records: name -> problem ("" when right).
    email_check = models.JSONField(default=dict, blank=True, editable=False)
    email_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    short_link_domain = models.CharField(max_length=253, blank=True)
    api_title = models.CharField(max_length=120, blank=True)
    api_servers = models.JSONField(default=list, blank=True)
    # Catalogue: the product codes it sells (empty: every product), those a new account starts
    # with (empty: the platform's standard products), and its API modules.
    product_codes = models.JSONField(default=list, blank=True)
    default_product_codes = models.JSONField(default=list, blank=True)
    modules = models.JSONField(default=all_modules, blank=True)
    # Whether senders and SMS templates carry India's DLT fields (entity id and name, DLT
    # template id) and a template's `type` is asked for when it is created (brand A's catalogue),
    # or not (brand B's: no DLT fields; `type` optional on create, required on edit).
    dlt_fields = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_default(self):
        """The platform's own brand (never stored: made from the settings)."""
        return self.pk is None and self.slug == PLATFORM_SLUG

    def sells(self, module):
        return module in self.modules

    @property
    def reference_title(self):
        """The API reference's title: the brand's own, else "<name> v2 API"."""
        return self.api_title or f"{self.name} v2 API"

    @property
    def version(self):
        """Changes with every save: stylesheet and logo URLs carry it, so browsers never keep a stale copy."""
        return int(self.updated_at.timestamp()) if self.updated_at else 0


class DomainKind(models.TextChoices):
    PORTAL = "portal", "Portal and API"
    API = "api", "API only"
    SHORT_LINKS = "short_links", "Short links"


class DomainStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    FAILING = "failing", "Failing"
    REMOVED = "removed", "Removed"


def new_token():
    return secrets.token_hex(16)


class BrandDomain(models.Model):
    """A brand's claim on a host name (accounts.brands.domains). Only verified (and failing)
    claims are served, at most one per host; pending claims of several brands may coexist, and a
    removed claim frees the host at once."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(max_length=253)
    kind = models.CharField(max_length=20, choices=DomainKind.choices, default=DomainKind.PORTAL)
    status = models.CharField(max_length=20, choices=DomainStatus.choices, default=DomainStatus.PENDING)
    # The value of the TXT ownership record; fresh for every claim, never reused across brands.
    token = models.CharField(max_length=64, default=new_token, editable=False)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # What a TLS handshake to the host last showed (accounts.brands.certificates).
    certificate_checked_at = models.DateTimeField(null=True, blank=True)
    certificate_valid = models.BooleanField(default=False)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    certificate_issuer = models.CharField(max_length=100, blank=True)
    certificate_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["host"]
        constraints = [
            models.UniqueConstraint(
                fields=["host"],
                condition=models.Q(status__in=["verified", "failing"]),
                name="one_served_claim_per_host",
            ),
            models.UniqueConstraint(
                fields=["brand", "host"], condition=~models.Q(status="removed"), name="one_live_claim_per_brand_host"
            ),
        ]

    def __str__(self):
        return self.host

    @property
    def is_served(self):
        # A failing domain keeps being served until it is dropped: records drift briefly in DNS moves.
        return self.status in (DomainStatus.VERIFIED, DomainStatus.FAILING)
