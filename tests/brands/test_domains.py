"""Custom domains: DNS records checked by exact value through a real DNS server on loopback,
the claim's states, takeovers, release, the TLS `ask` endpoint and the domain pages."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.brands import domains
from accounts.brands.models import Brand, BrandDomain, DomainStatus
from accounts.notifications.models import Notification
from portal.core.errors import Conflict, DomainError
from tests.factories import make_account

pytestmark = pytest.mark.django_db(transaction=False)

TARGET = "domains.localhost"
HOST = "portal.northwind.test"


@pytest.fixture
def reseller_brand(brand_b):
    account, owner = make_account(brand=brand_b, is_reseller=True, name="Northwind Ltd")
    brand = Brand.objects.create(account=account, slug="northwind", name="Northwind Messaging")
    return brand


@pytest.fixture
def rival_brand(brand_a):
    account, _ = make_account(brand=brand_a, is_reseller=True, name="Rival Ltd")
    return Brand.objects.create(account=account, slug="rival", name="Rival Texts")


def publish_ok(zone, domain, host=None):
    host = host or domain.host
    zone.publish(f"_domain-verify.{host}", "TXT", domain.token)
    zone.publish(host, "CNAME", TARGET)


def test_the_page_lists_the_exact_records_to_create(reseller_brand):
    domain = domains.add_domain(brand=reseller_brand, host="Portal.Northwind.TEST.")
    assert domain.host == HOST and domain.status == DomainStatus.PENDING
    records = {(r.type, r.name, r.value) for r in domains.records_to_publish(domain)}
    assert records == {("TXT", f"_domain-verify.{HOST}", domain.token), ("CNAME", HOST, TARGET)}
    apex = domains.add_domain(brand=reseller_brand, host="northwind.test")
    assert {r.type for r in domains.records_to_publish(apex)} == {"TXT", "A", "AAAA"}


@pytest.mark.parametrize(
    "host", ["http://x.test", "x.test:443", "*.x.test", "10.0.0.1", "localhost", "a.localhost", "x", "a..b"]
)
def test_a_bad_or_platform_host_is_refused(reseller_brand, host):
    with pytest.raises(DomainError):
        domains.add_domain(brand=reseller_brand, host=host)


def test_verification_needs_the_exact_values(dns_zone, reseller_brand, client):
    domain = domains.add_domain(brand=reseller_brand, host=HOST)
    dns_zone.publish(HOST, "CNAME", TARGET)
    dns_zone.publish(f"_domain-verify.{HOST}", "TXT", domain.token + "x")  # close is not enough
    assert domains.check(domain).status == DomainStatus.PENDING
    dns_zone.publish(f"_domain-verify.{HOST}", "TXT", domain.token)
    dns_zone.publish(HOST, "CNAME", "elsewhere.example")  # resolves, but not to the platform
    checked = domains.check(domain)
    assert checked.status == DomainStatus.PENDING and "must be domains.localhost" in checked.last_error
    assert client.get("/login/", HTTP_HOST=HOST).status_code == 400
    dns_zone.publish(HOST, "CNAME", TARGET)
    assert domains.check(domain).status == DomainStatus.VERIFIED
    page = client.get("/login/", HTTP_HOST=HOST)
    assert page.status_code == 200 and b"Northwind Messaging" in page.content


def test_an_apex_needs_the_platforms_addresses_only(dns_zone, reseller_brand):
    domain = domains.add_domain(brand=reseller_brand, host="northwind.test")
    dns_zone.publish("_domain-verify.northwind.test", "TXT", domain.token)
    dns_zone.publish("northwind.test", "A", "127.0.0.1", "203.0.113.9")
    checked = domains.check(domain)
    assert checked.status == DomainStatus.PENDING and "203.0.113.9" in checked.last_error
    dns_zone.publish("northwind.test", "A", "127.0.0.1")
    assert domains.check(domain).status == DomainStatus.VERIFIED


def test_drift_makes_it_failing_alerts_the_owners_and_drops_it_after_the_limit(dns_zone, reseller_brand, client):
    domain = domains.add_domain(brand=reseller_brand, host=HOST)
    publish_ok(dns_zone, domain)
    domains.check(domain)
    dns_zone.unpublish(HOST, "CNAME")
    failing = domains.check(domain)
    assert failing.status == DomainStatus.FAILING and failing.failing_since
    assert Notification.objects.filter(account=reseller_brand.account, title__contains="no longer points").exists()
    assert client.get("/login/", HTTP_HOST=HOST).status_code == 200  # still served while failing
    with override_settings(BRAND_DOMAIN_DROP_AFTER_DAYS=3):
        assert domains.check(failing, now=timezone.now() + timedelta(days=2)).status == DomainStatus.FAILING
        dropped = domains.check(failing, now=timezone.now() + timedelta(days=3, minutes=1))
    assert dropped.status == DomainStatus.REMOVED
    assert client.get("/login/", HTTP_HOST=HOST).status_code == 400


def test_records_fixed_in_time_bring_it_back(dns_zone, reseller_brand):
    domain = domains.add_domain(brand=reseller_brand, host=HOST)
    publish_ok(dns_zone, domain)
    domains.check(domain)
    dns_zone.unpublish(HOST, "CNAME")
    domains.check(domain)
    dns_zone.publish(HOST, "CNAME", TARGET)
    back = domains.check(domain)
    assert back.status == DomainStatus.VERIFIED and back.failing_since is None


def test_the_scheduled_recheck_covers_every_live_claim(dns_zone, reseller_brand):
    from accounts.brands.tasks import recheck_domains

    one = domains.add_domain(brand=reseller_brand, host=HOST)
    domains.add_domain(brand=reseller_brand, host="api.northwind.test")
    publish_ok(dns_zone, one)
    assert recheck_domains.delay().get() == 2
    assert BrandDomain.objects.get(pk=one.pk).status == DomainStatus.VERIFIED


def test_a_domain_claimed_twice_by_one_brand_is_refused(reseller_brand):
    domains.add_domain(brand=reseller_brand, host=HOST)
    with pytest.raises(Conflict):
        domains.add_domain(brand=reseller_brand, host=HOST)


def test_another_brand_takes_a_domain_only_with_its_own_fresh_token(dns_zone, reseller_brand, rival_brand, client):
    ours = domains.add_domain(brand=reseller_brand, host=HOST)
    publish_ok(dns_zone, ours)
    domains.check(ours)
    theirs = domains.add_domain(brand=rival_brand, host=HOST)
    assert theirs.token != ours.token
    # Replaying the holder's token proves nothing: the rival's claim stays pending.
    assert domains.check(theirs).status == DomainStatus.PENDING
    assert client.get("/login/", HTTP_HOST=HOST).content.count(b"Northwind Messaging") >= 1
    # The zone's owner publishes the rival's own token: the domain moves, the holder is told.
    dns_zone.publish(f"_domain-verify.{HOST}", "TXT", theirs.token)
    assert domains.check(theirs).status == DomainStatus.VERIFIED
    assert BrandDomain.objects.get(pk=ours.pk).status == DomainStatus.REMOVED
    assert Notification.objects.filter(account=reseller_brand.account, title__contains="moved").exists()
    page = client.get("/login/", HTTP_HOST=HOST).content.decode()
    assert "Rival Texts" in page and "Northwind" not in page


def test_removing_releases_at_once_and_a_removed_claim_never_comes_back(dns_zone, reseller_brand, rival_brand, client):
    ours = domains.add_domain(brand=reseller_brand, host=HOST)
    publish_ok(dns_zone, ours)
    domains.check(ours)
    domains.remove_domain(domain=ours)
    assert client.get("/login/", HTTP_HOST=HOST).status_code == 400
    assert domains.check(ours).status == DomainStatus.REMOVED  # records still there: stays removed
    # Takeover of the released name needs the new claimant's own verification.
    theirs = domains.add_domain(brand=rival_brand, host=HOST)
    assert client.get("/login/", HTTP_HOST=HOST).status_code == 400
    publish_ok(dns_zone, theirs)
    assert domains.check(theirs).status == DomainStatus.VERIFIED


def test_a_dns_outage_is_reported_not_taken_as_drift(settings, reseller_brand):
    domain = domains.add_domain(brand=reseller_brand, host=HOST)
    settings.DNS_NAMESERVERS = ["127.0.0.1:9"]  # nothing listens there
    settings.DNS_TIMEOUT_SECONDS = 0.5
    checked = domains.check(domain)
    assert checked.status == DomainStatus.PENDING and "did not answer" in checked.last_error


def test_tls_ask_says_yes_only_for_served_domains(dns_zone, client, reseller_brand, brands):
    domain = domains.add_domain(brand=reseller_brand, host=HOST)
    assert client.get(f"/tls/ask?domain={HOST}").status_code == 404
    publish_ok(dns_zone, domain)
    domains.check(domain)
    assert client.get(f"/tls/ask?domain={HOST}").status_code == 200
    assert client.get("/tls/ask?domain=bics.localhost").status_code == 200
    for other in ("unknown.example", "localhost", "", "testserver"):
        assert client.get(f"/tls/ask?domain={other}").status_code == 404, other


def test_csrf_and_cookies_work_on_a_verified_domain_without_settings(dns_zone, reseller_brand):
    from django.test import Client

    domain = domains.add_domain(brand=reseller_brand, host=HOST)
    publish_ok(dns_zone, domain)
    domains.check(domain)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login/", HTTP_HOST=HOST, secure=True)
    token = page.context["csrf_token"]
    cookie = page.cookies["csrftoken"]
    assert cookie["domain"] == "" and cookie["secure"]  # host-only
    res = browser.post(
        "/login/",
        {"csrfmiddlewaretoken": token, "email": "x@example.com", "password": "nope"},
        HTTP_HOST=HOST,
        HTTP_ORIGIN=f"https://{HOST}",
        HTTP_REFERER=f"https://{HOST}/login/",
        secure=True,
    )
    assert res.status_code == 200 and b"incorrect" in res.content  # CSRF passed, the login was judged
    forged = browser.post(
        "/login/", {"csrfmiddlewaretoken": token}, HTTP_HOST=HOST, HTTP_ORIGIN="https://evil.example", secure=True
    )
    assert forged.status_code == 403
