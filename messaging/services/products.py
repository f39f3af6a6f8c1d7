"""Which products an account may use."""

from django.template.defaultfilters import pluralize

from accounts.brands import current as current_brand
from accounts.brands.resolve import brand_for_account
from accounts.products import ProductChoice
from messaging.models import AccountProduct, Product
from portal.core import rules, text
from portal.core.errors import DomainError


class ProductNotEnabled(DomainError):
    field = "service"


def sold_products():
    """The active products the active brand sells (accounts.brands.current): under brand B's
    host `T` does not exist and `ENT` does; outside a brand every product."""
    products = Product.objects.filter(is_active=True)
    codes = current_brand.allowed_codes()
    return products if codes is None else products.filter(code__in=codes)


def enable_standard_products(account):
    """A new account starts with its brand's default products (the platform's standard ones
    when the brand names none)."""
    brand = brand_for_account(account)
    if brand.default_product_codes:
        standard = Product.objects.filter(code__in=brand.default_product_codes, is_active=True)
    else:
        standard = Product.objects.filter(is_standard=True, is_active=True)
    AccountProduct.objects.bulk_create(
        [AccountProduct(account=account, product=s) for s in standard], ignore_conflicts=True
    )


def set_account_products(account, codes):
    """Staff: make the account's enabled products exactly `codes`."""
    chosen = list(Product.objects.filter(code__in=codes))
    missing = set(codes) - {p.code for p in chosen}
    if missing:
        label = "Unknown service code" + pluralize(len(missing))
        raise DomainError(f"{label}: {', '.join(sorted(missing))}", field="services")
    AccountProduct.objects.filter(account=account).exclude(product__in=chosen).delete()
    AccountProduct.objects.bulk_create(
        [AccountProduct(account=account, product=p) for p in chosen], ignore_conflicts=True
    )
    rules.bump(account)


def enabled_products(account):
    """The account's products that the active brand sells."""
    return sold_products().filter(pk__in=AccountProduct.objects.filter(account=account).values("product"))


def require_product(account, code, *, field="service"):
    """The account's enabled Product for `code`, or ProductNotEnabled with the contract's message."""
    code = text.as_text(code, field).strip()
    if not code:
        raise ProductNotEnabled(f"The {field} field is required.", field=field)
    product = enabled_products(account).filter(code__iexact=code).first()
    if product is None:
        if not sold_products().filter(code__iexact=code).exists():
            raise ProductNotEnabled(f"The selected {field} is invalid.", field=field)
        raise ProductNotEnabled(f"The service {code.upper()} is not enabled for your account.", field=field)
    return product


class ProductDirectory:
    """The products as accounts asks about them (`accounts.products`), registered at start-up."""

    def enable_standard(self, account):
        enable_standard_products(account)

    def enabled_codes(self, account):
        return sorted(enabled_products(account).values_list("code", flat=True))

    def display_names(self, codes):
        return dict(Product.objects.filter(code__in=list(codes)).values_list("code", "display_name"))

    def active_code(self, code):
        product = sold_products().filter(code__iexact=code).first()
        return product.code if product else None

    def choices(self, account):
        enabled = set(self.enabled_codes(account))
        return [ProductChoice(s.code, s.display_name, s.code in enabled) for s in sold_products()]

    def set_enabled(self, account, codes):
        set_account_products(account, codes)
