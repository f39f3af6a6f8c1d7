"""The brand comes from the request's host, before the account, in one cached lookup."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.brands import resolve
from accounts.brands.models import Brand, BrandDomain, DomainStatus, Module, unsold_paths
from tests.brands.conftest import HOST_A, HOST_B, api_client_for
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db


def test_an_unknown_host_gets_a_plain_400_before_any_session(client, brands):
    res = client.get("/login/", HTTP_HOST="evil.example")
    assert res.status_code == 400
    assert res["Content-Type"].startswith("text/plain")
    assert "Set-Cookie" not in res and not res.cookies
    assert b"MOBtexting" not in res.content and b"BICS" not in res.content


def test_a_pending_or_removed_domain_is_not_served(client, brand_b):
    BrandDomain.objects.create(brand=brand_b, host="pending.example", status=DomainStatus.PENDING)
    BrandDomain.objects.create(brand=brand_b, host="gone.example", status=DomainStatus.REMOVED)
    assert client.get("/login/", HTTP_HOST="pending.example").status_code == 400
    assert client.get("/login/", HTTP_HOST="gone.example").status_code == 400


def test_the_host_is_read_without_port_case_or_trailing_dot(client, brands):
    res = client.get("/login/", HTTP_HOST="BICS.localhost.:8000")
    assert res.status_code == 200 and b"BICS" in res.content


def test_the_same_login_page_under_two_brands(client, brands):
    page_a = client.get("/login/", HTTP_HOST=HOST_A).content.decode()
    page_b = client.get("/login/", HTTP_HOST=HOST_B).content.decode()
    assert "Welcome back to MOBtexting" in page_a and "BICS" not in page_a
    assert "BICS CPaaS" in page_b and "MOBtexting" not in page_b
    for page in (page_a, page_b):
        assert "/brand/style.css?v=" in page
        assert "Portal" not in page  # the platform's name (SITE_NAME)


def test_the_platform_host_shows_the_platform(client, brands):
    page = client.get("/login/").content.decode()
    assert "Portal" in page and "MOBtexting" not in page and "BICS" not in page


def test_the_stylesheet_carries_the_brand_colours(client, brand_b):
    res = client.get(f"/brand/style.css?v={brand_b.version}", HTTP_HOST=HOST_B)
    assert res["Content-Type"].startswith("text/css")
    assert "--brand: #6a1b9a;" in res.content.decode()
    assert "immutable" in res["Cache-Control"]


def test_a_colour_is_only_ever_rrggbb(brand_b):
    from django.core.exceptions import ValidationError

    brand_b.primary_colour = "#fff;} body{background:url(//x)"
    with pytest.raises(ValidationError):
        brand_b.full_clean()
    from accounts.brands.stylesheet import css_for

    assert "url" not in css_for({"primary_colour": "red;}x{", "soft_colour": "#aabbcc"})


def test_resolution_is_one_cached_lookup_and_a_change_invalidates_it(brand_b):
    resolve.brand_for_host(HOST_B)
    with CaptureQueriesContext(connection) as queries:
        assert resolve.brand_for_host(HOST_B).name == "BICS"
    assert len(queries) == 0
    Brand.objects.filter(pk=brand_b.pk).update(name="stale")  # no signal: the copy is kept
    assert resolve.brand_for_host(HOST_B).name == "BICS"
    brand_b.name = "BICS Renamed"
    brand_b.save()
    assert resolve.brand_for_host(HOST_B).name == "BICS Renamed"


def test_removing_a_domain_stops_serving_it_at_once(client, brand_b):
    assert client.get("/login/", HTTP_HOST=HOST_B).status_code == 200
    domain = BrandDomain.objects.get(host=HOST_B)
    domain.status = DomainStatus.REMOVED
    domain.save()
    assert client.get("/login/", HTTP_HOST=HOST_B).status_code == 400


def test_another_brands_customer_cannot_log_in_here(client, customer_a, customer_b):
    _, owner_a = customer_a
    _, owner_b = customer_b
    refused = client.post("/login/", {"email": owner_a.email, "password": PASSWORD}, HTTP_HOST=HOST_B)
    assert refused.status_code == 200 and b"incorrect" in refused.content
    assert "_auth_user_id" not in client.session
    ok = client.post("/login/", {"email": owner_b.email, "password": PASSWORD}, HTTP_HOST=HOST_B)
    assert ok.status_code == 302


def test_a_session_reaches_only_the_hosts_brand_accounts(client, customer_a, brand_b):
    account_a, owner = customer_a
    account_b, _ = make_account(brand=brand_b)
    account_b.memberships.create(user=owner, role="owner")
    client.force_login(owner)
    page = client.get("/", HTTP_HOST=HOST_B).content.decode()
    assert account_b.name in page and account_a.name not in page
    page = client.get("/", HTTP_HOST=HOST_A).content.decode()
    assert account_a.name in page and account_b.name not in page


def test_an_api_key_works_only_on_its_brands_hosts_and_the_platforms(customer_a):
    account, _ = customer_a
    assert api_client_for(account, HOST_A).get("/api/v2/auth/me").status_code == 200
    assert api_client_for(account, "testserver").get("/api/v2/auth/me").status_code == 200
    refused = api_client_for(account, HOST_B).get("/api/v2/auth/me")
    assert refused.status_code == 401 and refused.json()["status"] == "failed"


def test_a_new_account_starts_with_its_brands_products(customer_a, customer_b):
    me_b = api_client_for(customer_b[0], HOST_B).get("/api/v2/auth/me").json()["data"]
    assert me_b["services"] == ["A2P", "ENT", "MKT"]
    me_a = api_client_for(customer_a[0], HOST_A).get("/api/v2/auth/me").json()["data"]
    assert me_a["services"] == ["G", "P", "S", "T"]


def test_the_v2_api_under_brand_b_sells_brand_bs_codes(customer_b):
    client = api_client_for(customer_b[0], HOST_B)
    sender = {"name": "acmebe", "country_code": "be"}
    refused = client.post("/api/v2/sms/senders", {**sender, "service": "T"}, format="json")
    assert refused.status_code == 422
    assert refused.json()["errors"]["service"] == ["The selected service is invalid."]
    not_enabled = client.post("/api/v2/sms/senders", {**sender, "service": "BNK"}, format="json")
    assert not_enabled.json()["errors"]["service"] == ["The service BNK is not enabled for your account."]
    created = client.post("/api/v2/sms/senders", {**sender, "service": "ENT"}, format="json")
    assert created.status_code == 200, created.content
    assert created.json()["data"]["service"]["name"] == "ENT"


def test_brand_b_sells_no_rcs_and_no_omnichannel_verify(brand_a, brand_b, customer_b):
    assert brand_a.sells(Module.RCS) and not brand_b.sells(Module.RCS)
    assert unsold_paths(brand_a) == ()
    assert "/api/v2/rcs/" in unsold_paths(brand_b) and "/api/v2/verify/profiles" in unsold_paths(brand_b)
    client = api_client_for(customer_b[0], HOST_B)
    for path in ("/api/v2/rcs/templates", "/api/v2/verify/profiles", "/api/v2/verify/omnichannel/send"):
        res = client.get(path)
        assert res.status_code == 404 and res.json() == {"status": "failed", "code": 404, "message": "Not Found."}


def test_other_processes_changes_are_seen_within_the_check_interval(settings, brand_b, monkeypatch):
    import uuid

    from django.core.cache import cache

    settings.BRAND_CACHE_CHECK_SECONDS = 60
    resolve.forget()
    assert resolve.brand_for_host(HOST_B).name == "BICS"
    Brand.objects.filter(pk=brand_b.pk).update(name="Changed elsewhere")
    cache.set(resolve.VERSION_KEY, uuid.uuid4().hex)  # what another process's bump() writes
    with CaptureQueriesContext(connection) as queries:
        assert resolve.brand_for_host(HOST_B).name == "BICS"  # inside the interval: no network, no query
    assert len(queries) == 0
    clock = resolve.time.monotonic() + 61
    monkeypatch.setattr(resolve.time, "monotonic", lambda: clock)
    assert resolve.brand_for_host(HOST_B).name == "Changed elsewhere"
