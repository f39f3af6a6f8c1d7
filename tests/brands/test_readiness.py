"""The readiness page: web domain, certificate, e-mail records, short links and the senders of
the brand's customers, each with what to fix next."""

import pytest

from accounts.brands import email_auth, resolve
from accounts.brands.models import Brand, BrandDomain, DomainKind, DomainStatus
from messaging.review import services as review
from messaging.senders import services as senders
from tests.brands.conftest import HOST_B
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def reseller(brand_b):
    account, owner = make_account(brand=brand_b, is_reseller=True, name="Northwind Ltd")
    brand = Brand.objects.create(
        account=account,
        slug="northwind",
        name="Northwind Messaging",
        email_from="hello@northwind.test",
        short_link_domain="nw.test",
        product_codes=["ENT", "MKT"],
        default_product_codes=["ENT"],
    )
    return account, owner, brand


def test_the_brands_accounts_are_its_subtree_without_subbrands(reseller, brand_b):
    account, _, brand = reseller
    child, _ = make_account(parent=account, is_reseller=True)
    grandchild, _ = make_account(parent=child)
    Brand.objects.create(account=child, slug="sub", name="Sub Brand")
    below_sub, _ = make_account(parent=grandchild)
    found = set(resolve.accounts_of(brand))
    assert child in found and grandchild not in found and below_sub not in found and account not in found
    assert account in set(resolve.accounts_of(brand_b))


def test_the_page_says_what_is_ready_and_what_to_fix(client, reseller, dns_zone):
    account, owner, brand = reseller
    child, _ = make_account(parent=account, name="Child Shop")
    sender = senders.create_sender(account=child, data={"name": "SHOPX", "country_code": "BE", "service": "ENT"})
    BrandDomain.objects.create(brand=brand, host="portal.nw.test", status=DomainStatus.VERIFIED)
    BrandDomain.objects.create(brand=brand, host="api.nw.test", status=DomainStatus.PENDING, last_error="TXT missing.")
    client.force_login(owner)
    page = client.get("/brand/readiness/", HTTP_HOST=HOST_B).content.decode()
    assert "portal.nw.test (DNS)" in page and "issued on demand" in page
    assert "TXT missing." in page and "none until the domain is verified" in page
    assert "SHOPX (ENT, BE) · Child Shop" in page and "Pending" in page
    assert "Add nw.test as a short-link domain" in page
    assert "Publish the records, then check them." in page
    # Fix everything: the sections turn ready.
    review.approve(item=sender)
    BrandDomain.objects.create(brand=brand, host="nw.test", kind=DomainKind.SHORT_LINKS, status=DomainStatus.VERIFIED)
    BrandDomain.objects.filter(host="api.nw.test").update(status=DomainStatus.REMOVED)
    brand.refresh_from_db()
    for record in email_auth.records_to_publish(brand):
        dns_zone.publish(record.name, "TXT", record.value)
    email_auth.check(brand)
    page = client.get("/brand/readiness/", HTTP_HOST=HOST_B).content.decode()
    assert page.count('badge badge-ok">ready') == 4 and "to do" not in page


def test_staff_see_any_brands_readiness(client, reseller):
    from accounts.models import User

    staff = User.objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(staff)
    res = client.get(f"/staff/brands/{reseller[2].pk}/readiness/")
    assert res.status_code == 200 and b"Is Northwind Messaging ready?" in res.content
