"""Brand changes: every writer of brands and their domains goes through here."""

from django.db import transaction
from django.utils import timezone

from accounts.brands import email_auth, resolve
from accounts.brands.catalogued import CATALOGUED
from accounts.brands.forms import LOOK_FIELDS
from accounts.brands.images import read_image
from accounts.brands.models import Brand, BrandDomain, DomainKind, DomainStatus
from accounts.models import Account
from accounts.services import audit
from portal.core.errors import DomainError, PermissionDenied


def install_catalogued(host_suffix="localhost"):
    """Create or refresh the two catalogued brands, each served on `<slug>.<host_suffix>`
    (verified at once: `*.localhost` names always resolve to this machine). Returns the brands."""
    brands = []
    with transaction.atomic():
        for spec in CATALOGUED:
            fields = {key: value for key, value in spec.items() if key != "slug"}
            brand, _ = Brand.objects.update_or_create(slug=spec["slug"], defaults=fields)
            email_auth.ensure_dkim_key(brand)
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


def admits_user(brand, user):
    """Whether `user` may log in under `brand`'s hosts: staff anywhere, others when one of their
    accounts belongs to the brand."""
    if brand is None or brand.is_default or user.is_staff:
        return True
    return any(resolve.admits(brand, m.account) for m in user.memberships.select_related("account"))


def brand_of_reseller(account):
    """The brand `account` owns, or None."""
    return Brand.objects.for_account(account).order_by("pk").first()


# What a save's audit event names when it changed (images are named by the upload).
AUDITED_FIELDS = (
    *LOOK_FIELDS,
    "slug",
    "account_id",
    "short_link_domain",
    "api_servers",
    "product_codes",
    "default_product_codes",
    "modules",
    "dlt_fields",
)


def save_brand(*, brand, data, logo=None, favicon=None, remove_logo=False, actor=None, staff=False):
    """Write a brand from a validated form's data (BrandForm, or StaffBrandForm when `staff`);
    `brand` may be unsaved (a new one). Uploaded images are checked (images.read_image) before
    anything is written. The audit event names the fields that changed. Returns the saved brand."""

    before = {name: getattr(brand, name) for name in AUDITED_FIELDS}
    had_logo = bool(brand.logo)
    images = {}
    if logo is not None:
        images["logo"], images["logo_type"] = read_image(logo, "logo")
    if favicon is not None:
        images["favicon"], images["favicon_type"] = read_image(favicon, "favicon")
    for name in LOOK_FIELDS:
        if name in data:
            setattr(brand, name, data[name])
    if staff:
        brand.slug = data["slug"]
        if Brand.objects.filter(slug=brand.slug).exclude(pk=brand.pk).exists():
            raise DomainError("Another brand already has this slug.", field="slug")
        owner = (data.get("owner_username") or "").strip()
        if owner:
            account = Account.objects.filter(username=owner, is_reseller=True).first()
            if account is None:
                raise DomainError("No reseller account has this username.", field="owner_username")
            if Brand.objects.filter(account=account).exclude(pk=brand.pk).exists():
                raise DomainError("This reseller already owns a brand.", field="owner_username")
            brand.account = account
        else:
            brand.account = None
        brand.short_link_domain = data.get("short_link_domain", "").strip().lower()
        brand.api_servers = data.get("api_servers", [])
        brand.product_codes = sorted(data.get("product_codes", []))
        brand.default_product_codes = sorted(data.get("default_product_codes", []))
        brand.modules = sorted(data.get("modules", []))
        # Whether the brand's senders and templates carry India's DLT fields (messaging.senders).
        brand.dlt_fields = bool(data.get("dlt_fields", brand.dlt_fields))
    for name, value in images.items():
        setattr(brand, name, value)
    if remove_logo and logo is None:
        brand.logo, brand.logo_type = b"", ""
    created = brand.pk is None
    changed = [name for name in AUDITED_FIELDS if not _same(getattr(brand, name), before[name])]
    changed += [name for name in ("logo", "favicon") if name in images]
    if remove_logo and logo is None and had_logo:
        changed.append("logo")
    if brand.email_from:
        email_auth.ensure_dkim_key(brand)  # before any mail goes out, so every signature matches one key
    with transaction.atomic():
        brand.save()
        audit.record(
            "brand.created" if created else "brand.updated",
            account=brand.account,
            actor=actor,
            target=brand.slug,
            changed=", ".join(changed),
        )
    return brand


def _same(value, before):
    # The catalogue's lists are saved sorted: the same codes in another order are no change.
    if isinstance(value, list) and isinstance(before, list):
        return sorted(value) == sorted(before)
    return value == before


def new_reseller_brand(account):
    """An unsaved brand for reseller `account`: the look and catalogue of the brand it sells under
    now, so its customers keep the products they have until staff change the catalogue."""
    if not account.is_reseller:
        raise PermissionDenied("Only reseller accounts have a brand of their own.")
    inherited = resolve.brand_for_account(account)
    brand = Brand(account=account, slug=_free_slug(account.username), name=account.name)
    for name in ("primary_colour", "primary_ink_colour", "soft_colour", "sidebar_colour"):
        setattr(brand, name, getattr(inherited, name))
    brand.product_codes = list(inherited.product_codes)
    brand.default_product_codes = list(inherited.default_product_codes)
    brand.modules = list(inherited.modules)
    brand.dlt_fields = inherited.dlt_fields
    brand.api_servers = list(inherited.api_servers)
    return brand


def _free_slug(base):
    candidate, n = base[:55], 1
    while Brand.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base[:50]}-{n}"
    return candidate
