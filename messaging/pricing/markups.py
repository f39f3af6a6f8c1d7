"""Per-customer markups of resellers: a customer's prices follow the reseller's own price (its
effective rate card: own rows over the default card) times (1 + percent / 100), a country's
override before the general percentage.

The marked-up prices are written as the customer's own rate-card rows (`Price.derived`), so the
send path, the price list, the API and every channel read them like any price, and debits follow
without a lookup more. They are rewritten after every change that can move them: the markup, the
reseller's prices, the default card (`prices_changed`, once per transaction however many rows a
rate-card upload saves), down a chain of resellers. Rows staff set by hand for the customer stay
and win over the markup.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import phonenumbers
from django.db import transaction
from django.db.models import Sum

from accounts.models import Account
from accounts.services import audit
from messaging.pricing.models import Markup, Price
from portal.core import rules
from portal.core.errors import ValidationFailed

MAX_PERCENT = Decimal(1000)
_CENT = Decimal("0.0001")
_TENTH = Decimal("0.1")
_NONE = object()


def marked_up(cost, percent):
    return (cost * (1 + percent / 100)).quantize(_CENT, rounding=ROUND_HALF_UP)


def children_of(reseller):
    return Account.objects.filter(parent=reseller).order_by("name", "pk")


def child_of(reseller, child_uuid):
    """The reseller's own customer, or None (another reseller's customer is None too)."""
    if not reseller.is_reseller:
        return None
    return Account.objects.filter(parent=reseller, uuid=child_uuid).first()


def markups_of(child):
    """(general percent or None, {iso: percent})."""
    rows = dict(Markup.objects.filter(child=child).values_list("iso", "percent"))
    return rows.pop("", None), rows


def _percent(value, field):
    try:
        percent = Decimal(str(value).strip().rstrip("%"))
        if not percent.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: ["The markup must be a number of percent, e.g. 20 or 12.5."]}) from None
    if percent < 0 or percent > MAX_PERCENT:
        raise ValidationFailed({field: [f"The markup must be between 0 and {MAX_PERCENT} percent."]})
    if percent != percent.quantize(Decimal("0.01")):
        raise ValidationFailed({field: ["The markup takes at most two decimals."]})
    return percent


def set_markup(*, reseller, child, iso="", percent, actor=None, request=None):
    """Set the customer's general markup (`iso` "") or a country's; rewrites its prices."""
    if child.parent_id != reseller.pk or not reseller.is_reseller:
        raise ValidationFailed({"child": ["Not one of your customers."]})
    iso = (iso or "").strip().upper()
    if iso and iso not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed({"iso": ["The country must be a 2-letter ISO code, e.g. IN or GB."]})
    percent = _percent(percent, "percent")
    with transaction.atomic():
        Markup.objects.update_or_create(child=child, iso=iso, defaults={"reseller": reseller, "percent": percent})
        follow(child)
        audit.record(
            "pricing.markup_set",
            account=reseller,
            actor=actor,
            request=request,
            target=f"{child.username} {iso or 'all countries'}",
            percent=str(percent),
        )


def remove_markup(*, reseller, child, iso="", actor=None, request=None):
    if child.parent_id != reseller.pk:
        raise ValidationFailed({"child": ["Not one of your customers."]})
    with transaction.atomic():
        Markup.objects.filter(child=child, iso=(iso or "").upper()).delete()
        follow(child)
        audit.record(
            "pricing.markup_removed",
            account=reseller,
            actor=actor,
            request=request,
            target=f"{child.username} {iso or 'all countries'}",
        )


def follow(child):
    """Rewrite the customer's derived prices from its reseller's card and its markups (none left:
    the customer is back on the default card). Then its own customers follow in turn."""
    from messaging.pricing.services import rate_card  # services calls prices_changed, below

    general, by_country = markups_of(child)
    with transaction.atomic():
        Price.objects.filter(account=child, derived=True).delete()
        if child.parent_id and (general is not None or by_country):
            by_hand = set(Price.objects.filter(account=child).values_list("product_id", "iso", "sub_service"))
            rows = []
            for cost in rate_card(child.parent):
                percent = by_country.get(cost.iso, general)
                if percent is None or (cost.product_id, cost.iso, cost.sub_service) in by_hand:
                    continue
                rows.append(
                    Price(
                        account=child,
                        product_id=cost.product_id,
                        iso=cost.iso,
                        sub_service=cost.sub_service,
                        country_name=cost.country_name,
                        calling_code=cost.calling_code,
                        sale_price=marked_up(cost.sale_price, percent),
                        currency=cost.currency,
                        is_active=cost.is_active,
                        derived=True,
                    )
                )
            Price.objects.bulk_create(rows, batch_size=2000)
        rules.bump(child)
    for grandchild in Account.objects.filter(parent=child, markups__isnull=False).distinct():
        follow(grandchild)


def prices_changed(account):
    """Called by every price write (`account` None: the default card). The customers whose prices
    follow it are rewritten when the transaction commits, once per card however many rows it
    saves (a rate-card upload)."""
    pk = account.pk if account else None
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(entry[1], "markup_card", _NONE) == pk and not entry[1].ran for entry in connection.run_on_commit
    ):
        return

    def rewrite():
        rewrite.ran = True
        followers = Account.objects.filter(markups__isnull=False).distinct()
        for child in followers if pk is None else followers.filter(parent_id=pk):
            follow(child)

    rewrite.markup_card, rewrite.ran = pk, False
    transaction.on_commit(rewrite)


def margins(reseller, child):
    """The reseller's margin on the customer, per service and country: its cost, the customer's
    price, the difference, and over the last 30 days the customer's billed units and the margin
    they made at today's prices."""
    from datetime import timedelta

    from django.utils import timezone

    from messaging.pricing.services import rate_card
    from messaging.reports import statuses
    from messaging.reports.models import MessageRollup

    costs = {(p.product_id, p.iso, p.sub_service): p for p in rate_card(reseller).filter(is_active=True)}
    since = timezone.now() - timedelta(days=30)
    units = {}
    rollups = (
        MessageRollup.objects.for_account(child)
        .filter(hour__gte=since)
        .values("product_code", "iso", "status")
        .annotate(units=Sum("units"))
        .order_by()
    )
    for r in rollups:
        if statuses.billing_of(r["status"]) == statuses.CHARGED:
            key = (r["product_code"], r["iso"])
            units[key] = units.get(key, 0) + (r["units"] or 0)
    out, total = [], Decimal(0)
    prices = rate_card(child).filter(is_active=True)
    for price in prices.order_by("country_name", "iso", "product__code", "sub_service"):
        cost = costs.get((price.product_id, price.iso, price.sub_service))
        if cost is None:
            continue
        margin = price.sale_price - cost.sale_price
        billed = units.get((price.product.code, price.iso), 0) if not price.sub_service else 0
        earned = margin * billed
        total += earned
        out.append(
            {
                "price": price,
                "cost": cost.sale_price,
                "margin": margin,
                "margin_percent": (100 * margin / cost.sale_price).quantize(_TENTH) if cost.sale_price else None,
                "units_30d": billed,
                "earned_30d": earned,
            }
        )
    return out, total
