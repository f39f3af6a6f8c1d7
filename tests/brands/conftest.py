import pytest
from rest_framework.test import APIClient

from accounts.brands import services
from tests.factories import make_account, make_key

HOST_A = "mobtexting.localhost"
HOST_B = "bics.localhost"


@pytest.fixture
def brands(db):
    """The two catalogued brands (A: MOBtexting, B: BICS) on their demo hosts."""
    return services.install_catalogued()


@pytest.fixture
def brand_a(brands):
    return brands[0]


@pytest.fixture
def brand_b(brands):
    return brands[1]


@pytest.fixture
def customer_b(brand_b):
    """(account, owner) of a brand-B customer."""
    return make_account(brand=brand_b, credits_amount="100")


@pytest.fixture
def customer_a(brand_a):
    return make_account(brand=brand_a, credits_amount="100")


def api_client_for(account, host):
    _key, secret = make_key(account)
    client = APIClient(HTTP_HOST=host)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def dns_zone(settings):
    """A loopback DNS server the portal's resolver is pointed at; `zone.publish(...)` records."""
    from tests.brands import dns_server

    zone, server, port = dns_server.start()
    settings.DNS_NAMESERVERS = [f"127.0.0.1:{port}"]
    settings.DNS_TIMEOUT_SECONDS = 2
    yield zone
    server.stop()


@pytest.fixture
def tls(tmp_path, settings):
    """A loopback TLS server the certificate check dials (`tls.serve(name, *tls.ca.issue(name))`)."""
    from tests.brands.tls_server import Authority, TlsServer

    ca = Authority()
    (tmp_path / "ca.pem").write_bytes(ca.pem())
    server = TlsServer(tmp_path)
    server.ca = ca
    settings.BRAND_TLS_PROBE_ADDRESS = f"127.0.0.1:{server.port}"
    settings.BRAND_TLS_CA_FILE = str(tmp_path / "ca.pem")
    settings.BRAND_TLS_TIMEOUT_SECONDS = 3
    yield server.start()
    server.stop()
