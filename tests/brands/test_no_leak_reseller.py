"""The reseller itself on its own domain: its brand pages (settings, preview, domains, readiness)
and everything else name only its brand, not the brand it buys from, another brand or the platform."""

import pytest
from django.test import override_settings

from accounts.brands.models import Brand, BrandDomain, DomainStatus
from tests.brands.test_no_leak import PLATFORM, _check, _crawl
from tests.factories import make_account

pytestmark = pytest.mark.django_db

HOST = "portal.northwind.test"


@override_settings(SITE_NAME=PLATFORM)
def test_the_resellers_own_pages_on_its_domain(client, brand_a, brand_b):
    reseller, owner = make_account(brand=brand_b, is_reseller=True, name="Northwind Ltd", credits_amount="50")
    brand = Brand.objects.create(
        account=reseller,
        slug="northwind",
        name="Northwind Messaging",
        email_from="hello@northwind.test",
        product_codes=brand_b.product_codes,
        default_product_codes=["ENT"],
    )
    BrandDomain.objects.create(brand=brand, host=HOST, status=DomainStatus.VERIFIED, is_primary=True)
    BrandDomain.objects.create(brand=brand, host="api.northwind.test", status=DomainStatus.PENDING)
    make_account(parent=reseller, name="Shop Of Child")
    client.force_login(owner)
    forbidden = ["mobtexting", "bics", PLATFORM.lower()]
    pages = _crawl(client, HOST, forbidden)
    assert pages > 40
    for path in (
        "/brand/settings/",
        "/brand/domains/",
        "/brand/readiness/",
        "/brand/settings/customer-view/?page=portal",
    ):
        res = client.get(path, HTTP_HOST=HOST)
        assert res.status_code == 200 and "Northwind Messaging" in res.content.decode()
        _check(res.content.decode(), forbidden, path)
