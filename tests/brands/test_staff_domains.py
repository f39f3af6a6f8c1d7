"""Staff manage any brand's custom domains: add, check, remove and the e-mail check on the same
page a reseller has, for a brand chosen by id; customers and resellers never reach it."""

import pytest

from accounts.brands.models import Brand, BrandDomain, DomainStatus
from accounts.models import User
from tests.factories import make_account

pytestmark = pytest.mark.django_db

HOST = "portal.northwind.test"


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))
    return client


@pytest.fixture
def reseller_brand(brand_b):
    account, owner = make_account(brand=brand_b, is_reseller=True, name="Northwind Ltd")
    brand = Brand.objects.create(account=account, slug="northwind", name="Northwind Messaging")
    brand.owner = owner
    return brand


def test_staff_add_check_and_remove_another_brands_domain(staff_client, reseller_brand, dns_zone):
    base = f"/staff/brands/{reseller_brand.pk}/domains/"
    page = staff_client.get(base)
    assert page.status_code == 200 and b"Northwind Messaging" in page.content
    assert staff_client.post(base, {"host": HOST, "kind": "portal"}).status_code == 302
    domain = BrandDomain.objects.get(brand=reseller_brand, host=HOST)
    page = staff_client.get(base).content.decode()
    assert domain.token in page and f"{base}{domain.pk}/check/" in page and f"{base}{domain.pk}/remove/" in page
    dns_zone.publish(f"_domain-verify.{HOST}", "TXT", domain.token)
    dns_zone.publish(HOST, "CNAME", "domains.localhost")
    fragment = staff_client.post(f"{base}{domain.pk}/check/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"Verified" in fragment.content and b"<html" not in fragment.content
    assert BrandDomain.objects.get(pk=domain.pk).status == DomainStatus.VERIFIED
    assert staff_client.post(f"{base}{domain.pk}/remove/").status_code == 302
    assert BrandDomain.objects.get(pk=domain.pk).status == DomainStatus.REMOVED
    assert staff_client.post(f"{base}email/check/").status_code == 302


def test_bad_input_is_a_form_error_not_a_500(staff_client, reseller_brand):
    base = f"/staff/brands/{reseller_brand.pk}/domains/"
    for data in ({"host": "http://x.test", "kind": "portal"}, {"host": "", "kind": "portal"}, {"host": HOST}):
        res = staff_client.post(base, data)
        assert res.status_code == 422 and b"errorlist" in res.content, data
    staff_client.post(base, {"host": HOST, "kind": "portal"})
    res = staff_client.post(base, {"host": HOST, "kind": "portal"})
    assert res.status_code == 422 and b"already added" in res.content


def test_a_domain_is_reached_only_through_its_own_brand(staff_client, reseller_brand, brand_a):
    domain = BrandDomain.objects.create(brand=reseller_brand, host=HOST)
    assert staff_client.post(f"/staff/brands/{brand_a.pk}/domains/{domain.pk}/remove/").status_code == 404
    assert staff_client.get("/staff/brands/999999/domains/").status_code == 404
    assert BrandDomain.objects.get(pk=domain.pk).status == DomainStatus.PENDING


def test_customers_and_resellers_cannot_reach_staff_pages(client, reseller_brand):
    client.force_login(reseller_brand.owner)
    base = f"/staff/brands/{reseller_brand.pk}/domains/"
    assert client.get(base).status_code == 403
    assert client.post(base, {"host": HOST, "kind": "portal"}).status_code == 403
    assert client.post(f"/staff/brands/{reseller_brand.pk}/readiness/certificates/").status_code == 403
    assert not BrandDomain.objects.filter(host=HOST).exists()


def test_staff_check_a_brands_certificates_from_its_readiness(staff_client, reseller_brand, tls):
    BrandDomain.objects.create(brand=reseller_brand, host=HOST, status=DomainStatus.VERIFIED)
    tls.serve(HOST, *tls.ca.issue(HOST))
    res = staff_client.post(f"/staff/brands/{reseller_brand.pk}/readiness/certificates/")
    assert res.status_code == 302 and res["Location"].endswith(f"/staff/brands/{reseller_brand.pk}/readiness/")
    page = staff_client.get(res["Location"]).content.decode()
    assert "valid until" in page and "Check certificates now" in page
    assert "/domains/" in staff_client.get("/staff/brands/").content.decode()
