"""The products an account may use (`T`, `P`, `ENT`, `WAP`, ...), seen from accounts.

The messaging app owns the products; accounts only needs to ask about them (a new account gets
the standard products, staff switch products on and off, `auth/me` and the balance name them).
So accounts declares what it asks here and messaging registers the answerer in its
`AppConfig.ready()`; accounts never imports the app above it.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProductChoice:
    code: str
    display_name: str
    enabled: bool


class ProductDirectory(Protocol):
    def enable_standard(self, account) -> None:
        """Give a new account the standard products."""

    def enabled_codes(self, account) -> list[str]:
        """The account's enabled product codes, sorted."""

    def display_names(self, codes) -> dict[str, str]:
        """code -> display name for the known codes among `codes`."""

    def active_code(self, code) -> str | None:
        """The stored spelling of an active product `code` (any case), or None."""

    def choices(self, account) -> list[ProductChoice]:
        """Every active product, with whether the account has it."""

    def set_enabled(self, account, codes) -> None:
        """Make the account's products exactly `codes`; raises DomainError for an unknown code."""


_directory: ProductDirectory | None = None


def register(answerer: ProductDirectory) -> None:
    global _directory
    _directory = answerer


def directory() -> ProductDirectory:
    if _directory is None:
        raise RuntimeError("No product directory registered: the messaging app registers one in ready().")
    return _directory
