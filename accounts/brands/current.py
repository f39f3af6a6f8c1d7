"""The brand of the work in progress: the request's (set by BrandMiddleware) or the one a task
activates with `use(brand)` before it renders an e-mail or an export.

Services that depend on the catalogue (which product codes and API modules are sold) read it
here, so pages, API and tasks apply the same catalogue without passing the brand everywhere.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_brand = ContextVar("brand", default=None)


def get():
    """The active brand, or None outside any request or `use()` (then nothing is restricted)."""
    return _brand.get()


def activate(brand):
    return _brand.set(brand)


def reset(token):
    _brand.reset(token)


@contextmanager
def use(brand):
    token = _brand.set(brand)
    try:
        yield brand
    finally:
        _brand.reset(token)


def allowed_codes():
    """The product codes the active brand sells, or None when every product is sold."""
    brand = get()
    if brand is None or not brand.product_codes:
        return None
    return frozenset(brand.product_codes)


def sells(module):
    brand = get()
    return brand is None or brand.sells(module)
