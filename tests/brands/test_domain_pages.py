"""The reseller's domain page: add, see the records, check, remove (HTMX and plain posts)."""

import pytest

from accounts.brands.models import Brand, BrandDomain, DomainStatus
from tests.brands.conftest import HOST_B
from tests.factories import make_account

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def reseller_client(client, brand_b):
    account, owner = make_account(brand=brand_b, is_reseller=True, name="Northwind Ltd")
    Brand.objects.create(account=account, slug="northwind", name="Northwind Messaging")
    client.force_login(owner)
    return client


def test_add_check_and_remove_a_domain(reseller_client, dns_zone):
    added = reseller_client.post(
        "/brand/domains/", {"host": "portal.northwind.test", "kind": "portal"}, HTTP_HOST=HOST_B, **HX
    )
    domain = BrandDomain.objects.get(host="portal.northwind.test")
    body = added.content.decode()
    assert added.status_code == 200 and domain.token in body and "domains.localhost" in body
    dns_zone.publish("_domain-verify.portal.northwind.test", "TXT", domain.token)
    dns_zone.publish("portal.northwind.test", "CNAME", "domains.localhost")
    checked = reseller_client.post(f"/brand/domains/{domain.pk}/check/", HTTP_HOST=HOST_B, **HX)
    assert b"Verified" in checked.content
    removed = reseller_client.post(f"/brand/domains/{domain.pk}/remove/", HTTP_HOST=HOST_B)
    assert removed.status_code == 302
    assert BrandDomain.objects.get(pk=domain.pk).status == DomainStatus.REMOVED


def test_bad_input_is_a_form_error(reseller_client):
    res = reseller_client.post(
        "/brand/domains/", {"host": "https://x.test/path", "kind": "portal"}, HTTP_HOST=HOST_B, **HX
    )
    assert res.status_code == 422 and b"Enter a domain name" in res.content
    res = reseller_client.post("/brand/domains/", {"host": "a.test", "kind": "nope"}, HTTP_HOST=HOST_B, **HX)
    assert res.status_code == 422 and not BrandDomain.objects.filter(host="a.test").exists()


def test_the_email_records_are_shown_and_checked(reseller_client, dns_zone):
    from accounts.brands import email_auth

    brand = Brand.objects.get(slug="northwind")
    brand.email_from = "hello@northwind.test"
    brand.save()
    page = reseller_client.get("/brand/domains/", HTTP_HOST=HOST_B).content.decode()
    brand.refresh_from_db()
    assert f"v=DKIM1; k=rsa; p={brand.dkim_public_key}" in page and "_dmarc.northwind.test" in page
    for record in email_auth.records_to_publish(brand):
        dns_zone.publish(record.name, "TXT", record.value)
    res = reseller_client.post("/brand/domains/email/check/", HTTP_HOST=HOST_B, **HX)
    assert res.content.decode().count('badge badge-ok">ok') == 3
