"""Prices: what one unit to a country costs an account on a service."""

from decimal import Decimal, InvalidOperation

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from accounts.services import audit
from messaging.models import Product
from messaging.pricing import markups
from messaging.pricing.models import Price
from messaging.services.products import enabled_products
from portal.core import rules
from portal.core.errors import ValidationFailed


def invalidate(account):
    """After a price write: the account's cached rules, and the customers whose marked-up prices
    follow this card (messaging/pricing/markups.py)."""
    rules.bump(account)
    markups.prices_changed(account)


def rate_card(account):
    """The account's effective prices: its own rows plus default rows it does not override."""
    own = Price.objects.filter(
        account=account, product=OuterRef("product"), iso=OuterRef("iso"), sub_service=OuterRef("sub_service")
    )
    return (
        Price.objects.filter(Q(account=account) | Q(account__isnull=True))
        .exclude(Q(account__isnull=True) & Exists(own))
        .select_related("product")
    )


def customer_price_list(account, *, q="", channel="", service=""):
    """What the account pays: its active effective prices on the products enabled for it, by
    country then channel and service. `q` matches a country name, ISO code or calling code."""
    rows = rate_card(account).filter(is_active=True, product__in=enabled_products(account))
    q = (q or "").strip().lstrip("+")
    if q:
        match = Q(country_name__icontains=q) | Q(iso__iexact=q)
        if q.isdigit():
            match |= Q(calling_code=int(q))
        rows = rows.filter(match)
    if channel:
        rows = rows.filter(product__channel=channel)
    if service:
        rows = rows.filter(product__code__iexact=service)
    return rows.order_by("country_name", "iso", "product__channel", "product__sort_order", "product__code")


def price_table(account, product):
    """{iso: price per unit} of active prices for one service: loaded once per send, not per message."""
    rows = rate_card(account).filter(product=product, sub_service="", is_active=True).values_list("iso", "sale_price")
    return dict(rows)


def price_for(account, product, iso):
    row = rate_card(account).filter(product=product, iso=iso.upper(), sub_service="", is_active=True).first()
    return row.sale_price if row else None


def save_price(*, data, account=None, actor=None, existing=None, request=None):
    """Create or edit a rate-card row (staff). `account` None edits the default card."""
    errors = {}
    product = Product.objects.filter(code__iexact=(data.get("service") or "").strip()).first()
    if product is None:
        errors["service"] = ["The selected service is invalid."]
    iso = (data.get("iso") or "").strip().upper()
    if iso not in phonenumbers.SUPPORTED_REGIONS:
        errors["iso"] = ["The iso must be a 2-letter ISO country code."]
    try:
        price = Decimal(str(data.get("sale_price", "")).strip())
        if not price.is_finite() or price < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["sale_price"] = ["The sale price must be a number of at least 0."]
        price = None
    name = (data.get("country_name") or "").strip() or iso
    currency = (data.get("currency") or "INR").strip().upper()[:3]
    sub_service = (data.get("sub_service") or "").strip().upper()
    if len(sub_service) > 10:
        errors["sub_service"] = ["The sub service may not be greater than 10 characters."]
    if errors:
        raise ValidationFailed(errors)
    # Saving a price for a service and country that already has one replaces it.
    row = (
        existing
        or Price.objects.filter(account=account, product=product, iso=iso, sub_service=sub_service).first()
        or Price(account=account)
    )
    row.sub_service = sub_service
    row.derived = False  # set by hand: a reseller's markup no longer rewrites it
    row.product, row.iso, row.country_name, row.sale_price, row.currency = product, iso, name, price, currency
    row.calling_code = phonenumbers.country_code_for_region(iso)
    row.is_active = str(data.get("status", "1")).strip() != "0"
    try:
        with transaction.atomic():
            row.save()
            invalidate(account)
            audit.record(
                "pricing.saved",
                account=account,
                actor=actor,
                request=request,
                target=f"{product.code}{'/' + sub_service if sub_service else ''} {iso}",
                price=str(price),
                currency=currency,
            )
    except IntegrityError:
        raise ValidationFailed({"iso": ["A price for this service and country already exists."]}) from None
    return row


def delete_price(*, row, actor=None, request=None):
    row.delete()
    invalidate(row.account)
    audit.record(
        "pricing.deleted", account=row.account, actor=actor, request=request, target=f"{row.product.code} {row.iso}"
    )
