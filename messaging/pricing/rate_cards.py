"""Rate cards uploaded as CSV: read, compare with the card they replace rows of (a diff staff
review before anything is written), then apply in one transaction.

Columns (header row, any order, names case-insensitive): `service`, `iso`, `sale_price`, and
optionally `country_name`, `currency` (default INR), `status` (1 active, 0 inactive). Each row
creates or replaces the price of its service and country on the chosen card (the default card or
one account's); rows of the card that the file does not name are left alone.
"""

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.db import transaction

from messaging.models import Product
from messaging.pricing.models import Price
from messaging.pricing.services import save_price
from portal.core import tabular, text
from portal.core.errors import ValidationFailed

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
REQUIRED = ("service", "iso", "sale_price")
COLUMNS = (*REQUIRED, "country_name", "currency", "status")


@dataclass
class Change:
    line: int
    service: str
    iso: str
    country_name: str
    new_price: Decimal | None
    currency: str
    active: bool
    old_price: Decimal | None = None
    old_active: bool | None = None
    error: str = ""

    @property
    def kind(self):
        if self.error:
            return "invalid"
        if self.old_price is None:
            return "added"
        if self.old_price != self.new_price or self.old_active != self.active:
            return "changed"
        return "unchanged"

    def data(self):
        status = "1" if self.active else "0"
        return {
            "service": self.service,
            "iso": self.iso,
            "country_name": self.country_name,
            "sale_price": str(self.new_price),
            "currency": self.currency,
            "status": status,
        }


def read(content: bytes):
    """The file's rows as Changes (not yet compared); ValidationFailed for an unreadable file."""
    if len(content) > MAX_BYTES:
        raise ValidationFailed({"file": ["The rate card may not be larger than 2 MB."]})
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": [tabular.NOT_TEXT]}) from None
    if (what := text.problem(decoded)) is not None:
        raise ValidationFailed({"file": [text.message("file", what)]})
    rows = tabular.csv_rows(io.StringIO(decoded))
    header = [h.strip().lower() for h in next(rows, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationFailed(
            {"file": [f"The header row must name the columns {', '.join(REQUIRED)} (missing: {', '.join(missing)})."]}
        )
    products = {p.code.upper(): p.code for p in Product.objects.all()}
    changes, seen = [], set()
    for line, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(changes) >= MAX_ROWS:
            raise ValidationFailed({"file": [f"A rate card may have at most {MAX_ROWS:,} rows."]})
        cell = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        change = Change(
            line=line,
            service=products.get(cell.get("service", "").upper(), cell.get("service", "")),
            iso=cell.get("iso", "").upper(),
            country_name=cell.get("country_name", ""),
            new_price=None,
            currency=(cell.get("currency") or "INR").upper()[:3],
            active=cell.get("status", "1") != "0",
        )
        try:
            change.new_price = Decimal(cell.get("sale_price", ""))
            if not change.new_price.is_finite() or change.new_price < 0:
                raise InvalidOperation
        except InvalidOperation:
            change.error = "The sale price must be a number of at least 0."
        if change.service.upper() not in products:
            change.error = f"Unknown service {change.service or '(empty)'}."
        elif change.iso not in phonenumbers.SUPPORTED_REGIONS:
            change.error = f"Unknown country code {change.iso or '(empty)'}."
        elif (change.service, change.iso) in seen:
            change.error = f"{change.service} {change.iso} appears twice in the file."
        if not change.error:
            seen.add((change.service, change.iso))
            change.country_name = change.country_name or change.iso
        changes.append(change)
    return changes


def diff(account, changes):
    """Fill each change's current price on the card (`account` None: the default card)."""
    current = {(p.product.code, p.iso): p for p in Price.objects.filter(account=account).select_related("product")}
    for change in changes:
        row = current.get((change.service, change.iso))
        if row is not None and not change.error:
            change.old_price, change.old_active = row.sale_price, row.is_active
    return changes


def summary(changes):
    counts = {"added": 0, "changed": 0, "unchanged": 0, "invalid": 0}
    for change in changes:
        counts[change.kind] += 1
    return counts


def apply(*, account, content, actor=None, request=None):
    """Write the file's added and changed rows, all or none; a file with an invalid row is refused."""
    changes = diff(account, read(content))
    bad = [c for c in changes if c.error]
    if bad:
        raise ValidationFailed({"file": [f"Line {c.line}: {c.error}" for c in bad[:20]]})
    with transaction.atomic():
        for change in changes:
            if change.kind in ("added", "changed"):
                save_price(data=change.data(), account=account, actor=actor, request=request)
    return summary(changes)
