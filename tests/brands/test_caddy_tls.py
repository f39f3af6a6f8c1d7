"""A real Caddy (Debian's package) with its internal CA in front of the portal: a verified brand
domain gets a certificate on demand and its branded page over HTTPS; an unverified name gets no
certificate, because the portal's `ask` says no. Caddy asks the edge server, as in production
(deploy/Caddyfile); the pages come from the live Django server. The production Caddyfile itself
adapts, with the ask and the webhook path on the edge. Loopback only."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from accounts.brands.edge import AskRoute
from accounts.brands.models import Brand, BrandDomain, DomainStatus
from portal.core.edge.server import serve_in_thread
from tests.factories import make_account

pytestmark = pytest.mark.django_db(transaction=True)
CADDY = shutil.which("caddy")

if CADDY is None:
    if os.environ.get("REQUIRE_CADDY") == "1":
        raise RuntimeError("REQUIRE_CADDY=1 but no caddy on PATH (apt-get install caddy)")
    pytest.skip("CADDY TESTS SKIPPED: no caddy (Debian's caddy package)", allow_module_level=True)

VERIFIED = "portal.northwind.test"
UNVERIFIED = "pending.northwind.test"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CADDYFILE = """
{{
	admin off
	http_port {http}
	https_port {https}
	storage file_system {storage}
	local_certs
	skip_install_trust
	on_demand_tls {{
		ask http://127.0.0.1:{edge}/tls/ask
	}}
}}
https:// {{
	tls internal {{
		on_demand
	}}
	reverse_proxy 127.0.0.1:{upstream}
}}
"""


@pytest.fixture
def edge(db):
    route = AskRoute()
    server = serve_in_thread({"/tls/ask": route})
    server.route = route
    yield server
    server.stop()


@pytest.fixture
def caddy(live_server, edge, tmp_path):
    upstream = live_server.url.rsplit(":", 1)[1]
    https = _free_port()
    config = tmp_path / "Caddyfile"
    config.write_text(
        CADDYFILE.format(http=_free_port(), https=https, storage=tmp_path / "data", upstream=upstream, edge=edge.port)
    )
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    log = open(tmp_path / "caddy.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"], env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", https), timeout=0.5).close()
            break
        except OSError:
            assert process.poll() is None, (tmp_path / "caddy.log").read_text()
            time.sleep(0.2)
    yield https, tmp_path / "data"
    process.terminate()
    process.wait(timeout=10)
    log.close()


def _root_ca(storage):
    path = storage / "pki" / "authorities" / "local" / "root.crt"
    deadline = time.monotonic() + 15
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return path


def _get(port, host, storage, path="/login/"):
    context = ssl.create_default_context(cafile=str(_root_ca(storage)))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=15) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
        return tls.getpeercert(), data.decode("utf-8", "replace")


def test_a_verified_domain_gets_a_certificate_and_its_brand_over_https(caddy, edge):
    port, storage = caddy
    account, _ = make_account(is_reseller=True)
    brand = Brand.objects.create(account=account, slug="northwind", name="Northwind Messaging")
    BrandDomain.objects.create(brand=brand, host=VERIFIED, status=DomainStatus.VERIFIED)
    BrandDomain.objects.create(brand=brand, host=UNVERIFIED, status=DomainStatus.PENDING)
    deadline = time.monotonic() + 10  # the edge reads the change on its own clock (within a second)
    while VERIFIED not in (edge.route.served or ()) and time.monotonic() < deadline:
        time.sleep(0.05)

    cert, answer = _get(port, VERIFIED, storage)
    names = [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]
    assert names == [VERIFIED]
    assert answer.startswith("HTTP/1.1 200") and "Northwind Messaging" in answer

    with pytest.raises(ssl.SSLError):
        _get(port, UNVERIFIED, storage)
    with pytest.raises(ssl.SSLError):
        _get(port, "unknown.example", storage)


def test_the_production_caddyfile_sends_the_ask_and_the_webhooks_to_the_edge(tmp_path):
    config = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile"
    env = {**os.environ, "HOME": str(tmp_path), "ACME_EMAIL": "ops@example.com", "EDGE_UPSTREAM": "127.0.0.1:8123"}
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [CADDY, "adapt", "--config", str(config), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    adapted = json.loads(result.stdout)
    assert adapted["apps"]["tls"]["automation"]["on_demand"]["ask"] == "http://127.0.0.1:8123/tls/ask"
    routes = list(_routes(adapted["apps"]["http"]))
    webhook = [r for r in routes if {"path": ["/whatsapp/cloud/webhook"]} in r.get("match", [])]
    assert webhook and set(_dials(webhook)) == {"127.0.0.1:8123"}  # that path's upstream is the edge
    assert "127.0.0.1:8000" in _dials(routes)  # everything else: gunicorn


def _routes(node):
    if isinstance(node, dict):
        if "handle" in node:
            yield node
        for value in node.values():
            yield from _routes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _routes(value)


def _dials(node):
    text = json.dumps(node)
    return [part.split('"', 1)[0] for part in text.split('"dial": "')[1:]]
