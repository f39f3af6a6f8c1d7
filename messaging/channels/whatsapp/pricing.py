"""WhatsApp prices per template category and country: rate-card rows of the WAP service with a
sub-service (WMC marketing, WUC utility, WAA authentication, WSC service conversations). A
category without its own row costs the WAP price of the country."""

from messaging.pricing.services import rate_card
from portal.core import rules

MARKETING = "WMC"
SERVICE = "service"
SUB_SERVICES = {"marketing": "WMC", "utility": "WUC", "authentication": "WAA", SERVICE: "WSC"}


def _load(account, product):
    rows = rate_card(account).filter(product=product, is_active=True).exclude(sub_service="")
    return {(iso, sub): price for iso, sub, price in rows.values_list("iso", "sub_service", "sale_price")}


def category_prices(account, product, version):
    """{(iso, sub-service): price} loaded once per send and reused under the rules version."""
    return rules.cached(account, ("whatsapp-prices", product.pk), lambda: _load(account, product), version)
