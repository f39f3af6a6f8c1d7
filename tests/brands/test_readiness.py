"""The readiness page: web domain, certificate, e-mail records, short links and the senders of
the brand's customers, each with what to fix next."""

import pytest

from accounts.brands import email_auth, resolve
from accounts.brands.models import Brand, BrandDomain, DomainKind, DomainStatus
from messaging.channels.whatsapp.models import BusinessNumber, Quality, TemplateStatus, WhatsappTemplate
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


def test_the_page_says_what_is_ready_and_what_to_fix(client, reseller, dns_zone, tls):
    account, owner, brand = reseller
    child, _ = make_account(parent=account, name="Child Shop")
    sender = senders.create_sender(account=child, data={"name": "SHOPX", "country_code": "BE", "service": "ENT"})
    BrandDomain.objects.create(brand=brand, host="portal.nw.test", status=DomainStatus.VERIFIED)
    BrandDomain.objects.create(brand=brand, host="api.nw.test", status=DomainStatus.PENDING, last_error="TXT missing.")
    client.force_login(owner)
    page = client.get("/brand/readiness/", HTTP_HOST=HOST_B).content.decode()
    assert "portal.nw.test (DNS)" in page and "not checked yet" in page
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
    for host in ("portal.nw.test", "nw.test"):
        tls.serve(host, *tls.ca.issue(host))
    assert client.post("/brand/readiness/certificates/", HTTP_HOST=HOST_B).status_code == 302
    assert set(tls.handshakes) == {"portal.nw.test", "nw.test"}
    number = _whatsapp_number(child, "Shop Care")
    _template(number, TemplateStatus.APPROVED)
    page = client.get("/brand/readiness/", HTTP_HOST=HOST_B).content.decode()
    assert "valid until" in page and "Loopback Test CA" in page
    assert page.count('badge badge-ok">ready') == 5 and "to do" not in page


def test_staff_see_any_brands_readiness(client, reseller):
    from accounts.models import User

    staff = User.objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(staff)
    res = client.get(f"/staff/brands/{reseller[2].pk}/readiness/")
    assert res.status_code == 200 and b"Is Northwind Messaging ready?" in res.content


_numbers = iter(range(10_000, 99_999))


def _whatsapp_number(account, name, **fields):
    n = next(_numbers)
    return BusinessNumber.objects.create(
        account=account, number=f"91901{n}", display_name=name, phone_number_id=f"pn-{n}", waba_id=f"waba-{n}",
        api_base_url="http://127.0.0.1:9", access_token="t", app_secret="s", verify_token="v", **fields,
    )  # fmt: skip


def _template(number, status, **fields):
    return WhatsappTemplate.objects.create(
        account=number.account, number=number, name=f"t{number.pk}{status}", alias=f"t{number.pk}{status}",
        type="template", category="utility", language="en", is_conversation=fields.pop("is_conversation", False),
        body="Hi", payload={"body": "Hi"}, status=status, **fields,
    )  # fmt: skip


def test_each_whatsapp_number_of_the_brands_customers_with_what_to_fix(client, reseller, brand_b):
    account, owner, brand = reseller
    child, _ = make_account(parent=account, name="Child Shop")
    outsider, _ = make_account(brand=brand_b, name="Elsewhere Inc")
    ready = _whatsapp_number(child, "Ready Care", quality=Quality.GREEN)
    _template(ready, TemplateStatus.APPROVED)
    _template(_whatsapp_number(child, "Waiting Care"), TemplateStatus.PENDING)
    service_only = _whatsapp_number(child, "Service Only")
    _template(service_only, TemplateStatus.APPROVED, is_conversation=True)  # no review: not a Meta template
    _template(_whatsapp_number(child, "Red Care", quality=Quality.RED), TemplateStatus.APPROVED)
    _template(_whatsapp_number(child, "Off Care", is_active=False), TemplateStatus.APPROVED)
    _whatsapp_number(outsider, "Not Ours")
    client.force_login(owner)
    page = client.get("/brand/readiness/", HTTP_HOST=HOST_B).content.decode()
    assert "WhatsApp numbers" in page and "Not Ours" not in page
    assert f"+{ready.number} (Ready Care) · Child Shop" in page and "quality high" in page
    assert "1 approved template" in page
    assert "waiting for Meta&#x27;s review" in page
    assert "submit one under WhatsApp → Templates" in page  # the service-only number
    assert "Meta rates the number low" in page
    assert "ask support to switch it back on" in page


def test_a_brand_without_whatsapp_numbers_is_told_how_to_get_one(client, reseller):
    _, owner, _ = reseller
    client.force_login(owner)
    page = client.get("/brand/readiness/", HTTP_HOST=HOST_B).content.decode()
    assert "Staff onboard a business number" in page
