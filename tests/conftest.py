import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from portal.core import rules
from tests.factories import PASSWORD, make_account, make_key


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit and throttle counters, and the send path's cached rules, must not leak between
    # tests (rolled-back tests reuse primary keys).
    cache.clear()
    rules._CACHED.clear()
    yield
    cache.clear()
    rules._CACHED.clear()


@pytest.fixture
def account_and_owner(db):
    return make_account(credits_amount="100")


@pytest.fixture
def account(account_and_owner):
    return account_and_owner[0]


@pytest.fixture
def owner(account_and_owner):
    return account_and_owner[1]


@pytest.fixture
def other_account(db):
    return make_account(credits_amount="50")[0]


@pytest.fixture
def user_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def api_key_and_secret(account):
    return make_key(account)


@pytest.fixture
def api_client(api_key_and_secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_and_secret[1]}")
    return client


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def product_rows(transactional_db):
    """Transactional tests flush tables, data migrations included: put the product rows back."""
    from messaging.models import Product
    from messaging.products import load_products

    load_products(Product)
