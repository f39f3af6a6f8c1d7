"""The readiness page's certificate check: a real TLS handshake with the domain (a loopback TLS
server here, presenting what a test CA issued), verified against the CA and the name."""

import pytest
from django.utils import timezone

from accounts.brands import certificates, domains, readiness
from accounts.brands.models import Brand, BrandDomain, DomainStatus
from tests.brands.tls_server import Authority

pytestmark = pytest.mark.django_db

GOOD = "portal.good.test"


@pytest.fixture
def brand(brands):
    return Brand.objects.create(slug="good", name="Good Brand")


def served(brand, host):
    return BrandDomain.objects.create(brand=brand, host=host, status=DomainStatus.VERIFIED)


def test_a_valid_certificate_is_ready_with_its_expiry(tls, brand):
    tls.serve(GOOD, *tls.ca.issue(GOOD, days=90))
    domain = certificates.check(served(brand, GOOD))
    assert tls.handshakes[-1] == GOOD  # the domain is the SNI name, whatever address is dialled
    assert domain.certificate_valid and domain.certificate_issuer == "Loopback Test CA"
    assert 85 <= (domain.certificate_expires_at - timezone.now()).days <= 89
    ready, detail, fix = certificates.verdict(BrandDomain.objects.get(pk=domain.pk))
    assert ready and "valid until" in detail and "Loopback Test CA" in detail and fix == ""


@pytest.mark.parametrize(
    ("issue", "error", "fix"),
    [
        (lambda ca: ca.issue("other.test"), "not valid", "Open the domain once over HTTPS"),
        (lambda ca: ca.issue(GOOD, days=30, start_days_ago=40), "expired", "has expired"),
        (lambda ca: ca.issue(GOOD, signer=Authority("Someone Else")), "not valid", "Open the domain"),
    ],
    ids=["other name", "expired", "unknown issuer"],
)
def test_a_wrong_certificate_says_why_and_what_to_fix(tls, brand, issue, error, fix):
    tls.serve(GOOD, *issue(tls.ca))
    domain = certificates.check(served(brand, GOOD))
    assert domain.certificate_valid is False and error in domain.certificate_error
    assert domain.certificate_expires_at is not None  # read from the certificate all the same
    ready, detail, advice = certificates.verdict(domain)
    assert not ready and error in detail and fix in advice


def test_a_certificate_close_to_expiry_is_flagged(tls, brand, settings):
    tls.serve(GOOD, *tls.ca.issue(GOOD, days=10))
    domain = certificates.check(served(brand, GOOD))
    ready, detail, fix = certificates.verdict(domain)
    assert domain.certificate_valid and not ready and "days left" in detail and "renewed" in fix


def test_no_certificate_for_the_name_or_nothing_listening(tls, brand, settings):
    tls.serve("someone.else.test", *tls.ca.issue("someone.else.test"))
    domain = certificates.check(served(brand, GOOD))
    assert not domain.certificate_valid and "No certificate is served" in domain.certificate_error
    settings.BRAND_TLS_PROBE_ADDRESS = "127.0.0.1:9"  # nothing listens there
    domain = certificates.check(domain)
    assert "not reachable" in domain.certificate_error
    assert "open port 443" in certificates.verdict(domain)[2]


def test_an_unverified_domain_is_not_probed(tls, brand):
    pending = BrandDomain.objects.create(brand=brand, host=GOOD)
    assert certificates.verdict(pending) == (False, "none until the domain is verified", "Verify the domain first.")
    readiness.check_certificates(brand)
    assert tls.handshakes == [] and BrandDomain.objects.get(pk=pending.pk).certificate_checked_at is None


def test_the_hourly_recheck_checks_served_certificates(tls, brand, dns_zone):
    tls.serve(GOOD, *tls.ca.issue(GOOD))
    domain = served(brand, GOOD)
    dns_zone.publish(f"_domain-verify.{GOOD}", "TXT", domain.token)
    dns_zone.publish(GOOD, "CNAME", "domains.localhost")
    assert domains.recheck_all() >= 1
    assert BrandDomain.objects.get(pk=domain.pk).certificate_valid
