"""Caddy's TLS `ask` on the edge server (accounts/brands/edge.py), over real HTTP on a free port:
the same table of cases as the WSGI path, a brand change picked up by the reload, the set loaded
before the port opens, and the last set kept when a reload fails."""

import time
from unittest import mock

import pytest

from accounts.brands import domains, resolve
from accounts.brands.edge import AskRoute
from accounts.brands.models import Brand, BrandDomain, DomainStatus
from portal.core.edge.server import serve_in_thread
from tests.brands.test_ask_fast_path import HOST, walk_the_cases
from tests.edge_http import Connection, one, request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def brand(brands):
    return Brand.objects.create(slug="northwind", name="Northwind Messaging")


@pytest.fixture
def edge(brands):
    route = AskRoute()
    server = serve_in_thread({"/tls/ask": route})
    server.route = route
    yield server
    server.stop()


def _until(condition, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


def settled(route):
    """Wait for two reads after now: the second began after the change was committed."""
    start = route.generation
    assert _until(lambda: route.generation >= start + 2)


def ask_over_http(port):
    def ask(query, host="127.0.0.1"):
        answer = one(port, request(f"/tls/ask?{query}", host=host))
        return answer.status, answer.headers, answer.body

    return ask


def test_the_table_of_cases(edge, brand):
    walk_the_cases(ask_over_http(edge.port), brand, settle=lambda: settled(edge.route))


def test_a_brand_change_is_picked_up_by_the_reload(edge, brand):
    ask = ask_over_http(edge.port)
    assert ask(f"domain={HOST}")[0] == 404
    BrandDomain.objects.create(brand=brand, host=HOST, status=DomainStatus.VERIFIED)  # the signal bumps
    assert _until(lambda: ask(f"domain={HOST}")[0] == 200)
    BrandDomain.objects.filter(host=HOST).delete()
    assert _until(lambda: ask(f"domain={HOST}")[0] == 404)


def test_the_served_hosts_are_loaded_before_the_port_opens(brands, brand):
    BrandDomain.objects.create(brand=brand, host=HOST, status=DomainStatus.VERIFIED)
    server = serve_in_thread({"/tls/ask": AskRoute()})
    try:
        assert one(server.port, request(f"/tls/ask?domain={HOST}")).status == 200
    finally:
        server.stop()


def test_a_failed_reload_keeps_the_last_set(edge, brand):
    BrandDomain.objects.create(brand=brand, host=HOST, status=DomainStatus.VERIFIED)
    settled(edge.route)
    with mock.patch.object(resolve, "served_hosts", side_effect=RuntimeError("database restarting")):
        settled(edge.route)
        assert one(edge.port, request(f"/tls/ask?domain={HOST}")).status == 200
    domains.remove_domain(domain=BrandDomain.objects.get(host=HOST))
    assert _until(lambda: one(edge.port, request(f"/tls/ask?domain={HOST}")).status == 404)


def test_keep_alive_pipelined_asks_and_other_methods(edge, brand):
    BrandDomain.objects.create(brand=brand, host=HOST, status=DomainStatus.VERIFIED)
    settled(edge.route)
    conn = Connection(edge.port)
    conn.send(
        request(f"/tls/ask?domain={HOST}")
        + request("/tls/ask?domain=made-up.example")
        + request(f"/tls/ask?domain={HOST}", method="HEAD")
        + request("/tls/ask", method="POST")
        + request("/login/")
    )
    answers = conn.read(5, heads=[False, False, True, False, False])
    assert [a.status for a in answers] == [200, 404, 200, 405, 404]
    assert answers[3].headers["allow"] == "GET, HEAD"
    conn.close()
