"""Resellers own a brand inherited down their tree; staff manage every brand; live preview."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.brands import resolve
from accounts.brands.models import Brand, BrandDomain, DomainStatus
from tests.brands.conftest import HOST_A
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
LOOK = {
    "name": "Northwind Messaging",
    "primary_colour": "#0a7d55",
    "primary_ink_colour": "#ffffff",
    "soft_colour": "#e1f5ec",
    "sidebar_colour": "#06281c",
    "login_title": "Northwind",
    "legal_footer": "© Northwind Ltd",
}


@pytest.fixture
def reseller(brand_a):
    account, owner = make_account(brand=brand_a, is_reseller=True, name="Northwind Ltd")
    return account, owner


@pytest.fixture
def reseller_client(client, reseller):
    client.force_login(reseller[1])
    return client


def _save(client, **extra):
    return client.post("/brand/settings/", {**LOOK, **extra}, HTTP_HOST=HOST_A)


def test_a_reseller_creates_its_brand_with_its_parents_catalogue(reseller_client, reseller, brand_a):
    page = reseller_client.get("/brand/settings/", HTTP_HOST=HOST_A)
    assert page.status_code == 200 and b"Preview as your customer" in page.content
    assert _save(reseller_client).status_code == 302
    brand = Brand.objects.get(account=reseller[0])
    assert brand.name == "Northwind Messaging" and brand.primary_colour == "#0a7d55"
    assert brand.product_codes == brand_a.product_codes and brand.modules == brand_a.modules


def test_the_brand_covers_the_resellers_whole_subtree_not_the_reseller(reseller_client, reseller, brand_a):
    _save(reseller_client)
    brand = Brand.objects.get(account=reseller[0])
    child, _ = make_account(parent=reseller[0], is_reseller=True)
    grandchild, _ = make_account(parent=child)
    assert resolve.brand_for_account(child) == brand
    assert resolve.brand_for_account(grandchild) == brand
    assert resolve.brand_for_account(reseller[0]) == brand_a  # it stays brand A's customer
    assert resolve.admits(brand, reseller[0]) and resolve.admits(brand, grandchild)
    assert not resolve.admits(brand_a, grandchild)


def test_the_resellers_customers_see_its_brand_on_its_domain(client, reseller_client, reseller):
    _save(reseller_client)
    brand = Brand.objects.get(account=reseller[0])
    BrandDomain.objects.create(brand=brand, host="portal.northwind.test", status=DomainStatus.VERIFIED)
    child, child_owner = make_account(parent=reseller[0], name="Child Shop")
    client.logout()
    res = client.post("/login/", {"email": child_owner.email, "password": PASSWORD}, HTTP_HOST="portal.northwind.test")
    assert res.status_code == 302
    page = client.get("/", HTTP_HOST="portal.northwind.test").content.decode()
    assert "Northwind Messaging" in page and "© Northwind Ltd" in page and "MOBtexting" not in page
    # ...and not on brand A's host, whose brand is not theirs.
    client.logout()
    refused = client.post("/login/", {"email": child_owner.email, "password": PASSWORD}, HTTP_HOST=HOST_A)
    assert refused.status_code == 200


def test_the_live_preview_uses_a_stylesheet_url_with_the_draft_colours(reseller_client):
    res = reseller_client.post("/brand/settings/preview/", {**LOOK, "name": "Draft Name"}, HTTP_HOST=HOST_A)
    body = res.content.decode()
    assert res.status_code == 200 and 'id="brand-preview"' in body and "Draft Name" in body
    assert "/brand/preview.css?" in body and "primary_colour=%230a7d55" in body
    assert "style=" not in body and "<style" not in body
    css = reseller_client.get("/brand/preview.css?primary_colour=%230a7d55&soft_colour=red;}x{", HTTP_HOST=HOST_A)
    text = css.content.decode()
    assert text.startswith(".brand-preview {") and "--brand: #0a7d55;" in text and "red" not in text


def test_the_preview_shows_an_uploaded_logo_and_refuses_svg(reseller_client):
    ok = reseller_client.post(
        "/brand/settings/preview/", {**LOOK, "logo": SimpleUploadedFile("l.png", PNG)}, HTTP_HOST=HOST_A
    )
    assert b'src="data:image/png;base64,' in ok.content
    bad = reseller_client.post(
        "/brand/settings/preview/", {**LOOK, "logo": SimpleUploadedFile("l.svg", SVG)}, HTTP_HOST=HOST_A
    )
    assert b"SVG images are refused" in bad.content and b"<script" not in bad.content


def test_an_svg_logo_is_refused_and_nothing_is_written(reseller_client, reseller):
    res = _save(reseller_client, logo=SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml"))
    assert res.status_code == 422 and b"SVG images are refused" in res.content
    assert not Brand.objects.filter(account=reseller[0]).exists()


def test_a_logo_is_served_as_an_image_that_cannot_run(client, reseller_client, reseller):
    _save(reseller_client, logo=SimpleUploadedFile("logo.png", PNG))
    brand = Brand.objects.get(account=reseller[0])
    BrandDomain.objects.create(brand=brand, host="portal.northwind.test", status=DomainStatus.VERIFIED)
    res = client.get(f"/brand/logo?v={brand.version}", HTTP_HOST="portal.northwind.test")
    assert res.status_code == 200 and res["Content-Type"] == "image/png" and res.content == PNG
    assert "sandbox" in res["Content-Security-Policy"]


def test_a_bad_colour_is_a_field_error(reseller_client, reseller):
    res = _save(reseller_client, primary_colour="red;}body{")
    assert res.status_code == 422 and b"Enter a colour as #rrggbb." in res.content
    assert not Brand.objects.filter(account=reseller[0]).exists()


def test_the_customer_preview_renders_the_saved_brand_on_any_host(reseller_client, reseller):
    _save(reseller_client)
    for page in ("login", "portal"):
        res = reseller_client.get(f"/brand/settings/customer-view/?page={page}", HTTP_HOST=HOST_A)
        body = res.content.decode()
        assert res.status_code == 200 and "Northwind Messaging" in body and "MOBtexting" not in body
        assert "/brand/preview.css?" in body and "scope=root" in body


def test_a_customer_that_is_no_reseller_has_no_brand_page(client, customer_a):
    client.force_login(customer_a[1])
    assert client.get("/brand/settings/", HTTP_HOST=HOST_A).status_code == 403


def test_staff_manage_every_brand(client, brands, reseller):
    from accounts.models import User

    staff = User.objects.create_superuser(email="staff@example.com", password=PASSWORD)
    client.force_login(staff)
    listing = client.get("/staff/brands/").content.decode()
    assert "MOBtexting" in listing and "BICS" in listing and "bics.localhost" in listing
    res = client.post(
        "/staff/brands/new/",
        {
            **LOOK,
            "slug": "northwind",
            "owner_username": reseller[0].username,
            "product_codes": ["ENT", "MKT"],
            "default_product_codes": ["ENT"],
            "modules": [],
            "api_servers": "https://api.northwind.test/api/v2/",
            "dlt_fields": "0",
        },
    )
    assert res.status_code == 302, res.content
    brand = Brand.objects.get(slug="northwind")
    assert brand.account == reseller[0] and brand.product_codes == ["ENT", "MKT"] and brand.modules == []
    assert brand.api_servers == ["https://api.northwind.test/api/v2/"] and brand.dlt_fields is False
    twice = client.post(
        "/staff/brands/new/", {**LOOK, "slug": "other", "owner_username": reseller[0].username, "dlt_fields": "1"}
    )
    assert twice.status_code == 422 and b"already owns a brand" in twice.content


def test_customers_cannot_reach_staff_brand_pages(client, customer_a, brand_b):
    client.force_login(customer_a[1])
    assert client.get("/staff/brands/").status_code == 403
    assert client.get(f"/staff/brands/{brand_b.pk}/").status_code == 403
