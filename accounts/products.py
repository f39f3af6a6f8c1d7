"""The products an account may use (`T`, `P`, `ENT`, `WAP`, ...), seen from accounts.

The channels layer owns the product catalogue; accounts only needs to ask about it (a new account
gets the standard products, staff switch products on and off, `auth/me` and the balance name
them). So accounts declares what it asks here and the catalogue's app registers the answerer in
its `AppConfig.ready()`; accounts never imports the app above it.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProductChoice:
    code: str
    display_name: str
    enabled: bool


class ProductCatalog(Protocol):
    def enable_standard(self, account) -> None:
        """Give a new account the standard products."""

    def enabled_codes(self, account) -> list[str]:
        """The account's enabled product codes, sorted."""

    def display_names(self, codes) -> dict[str, str]:
        """code -> display name for the known codes among `codes`."""

    def active_code(self, code) -> str | None:
        """The catalogue's spelling of an active product `code` (any case), or None."""

    def choices(self, account) -> list[ProductChoice]:
        """Every active product, with whether the account has it."""

    def set_enabled(self, account, codes) -> None:
        """Make the account's products exactly `codes`; raises DomainError for an unknown code."""


_catalog: ProductCatalog | None = None


def register(catalog: ProductCatalog) -> None:
    global _catalog
    _catalog = catalog


def catalog() -> ProductCatalog:
    if _catalog is None:
        raise RuntimeError("No product catalogue registered: the messaging app registers one in ready().")
    return _catalog
