"""The TLS `ask` answered in front of Django (portal.wsgi's AskFastPath): the same verdicts as
the view, the Host check BrandMiddleware makes, no per-name growth, every other path untouched."""

import pytest

from accounts.brands import domains, resolve
from accounts.brands.ask import AskFastPath
from accounts.brands.models import Brand, BrandDomain, DomainStatus

pytestmark = pytest.mark.django_db(transaction=False)

HOST = "portal.northwind.test"


def call(app, path="/tls/ask", query="", host="127.0.0.1", method="GET"):
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(
        app({"PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": host, "REQUEST_METHOD": method}, start_response)
    )
    return int(seen["status"].split()[0]), seen["headers"], body


@pytest.fixture
def django_app():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("299 Django", [("Content-Type", "text/plain")])
        return [b"django"]

    app.calls = calls
    return app


@pytest.fixture
def brand(brands):
    return Brand.objects.create(slug="northwind", name="Northwind Messaging")


def test_yes_only_for_a_served_domain(brand, brands, django_app):
    fast = AskFastPath(django_app)
    claim = domains.add_domain(brand=brand, host=HOST)
    assert call(fast, query=f"domain={HOST}")[0] == 404  # pending
    BrandDomain.objects.filter(pk=claim.pk).update(status=DomainStatus.VERIFIED)
    resolve.bump()  # what the domain services do after a change
    status, headers, body = call(fast, query=f"domain={HOST.upper()}.")
    assert (status, body) == (200, b"ok")
    assert headers["Server-Timing"].startswith("app;dur=") and headers["X-Content-Type-Options"] == "nosniff"
    assert call(fast, query="domain=bics.localhost")[0] == 200
    BrandDomain.objects.filter(pk=claim.pk).update(status=DomainStatus.FAILING)
    resolve.bump()
    assert call(fast, query=f"domain={HOST}")[0] == 200  # failing is still served
    domains.remove_domain(domain=BrandDomain.objects.get(pk=claim.pk))
    assert call(fast, query=f"domain={HOST}")[0] == 404  # released at once
    for other in ("domain=unknown.example", "domain=localhost", "domain=testserver", "domain=", "", "domain=%00"):
        assert call(fast, query=other)[0] == 404, other
    assert django_app.calls == []


def test_an_unknown_host_header_is_a_plain_400(brands, django_app):
    status, headers, _ = call(AskFastPath(django_app), query="domain=bics.localhost", host="evil.example")
    assert status == 400 and headers["Content-Type"].startswith("text/plain")
    assert call(AskFastPath(django_app), query="domain=bics.localhost", host="bics.localhost")[0] == 200


def test_made_up_names_do_not_query_or_grow_the_cache(brands, django_app, django_assert_num_queries):
    fast = AskFastPath(django_app)
    call(fast, query="domain=warm.example")
    with django_assert_num_queries(0):
        for n in range(200):
            assert call(fast, query=f"domain=probe{n}.example")[0] == 404
    assert not any(h.startswith("probe") for h in resolve._state["hosts"])


def test_other_paths_and_methods_reach_django(django_app):
    fast = AskFastPath(django_app)
    assert call(fast, path="/login/")[0] == 299
    assert call(fast, method="POST")[0] == 299
    assert call(fast, path="/tls/ask/")[0] == 299
    assert django_app.calls == ["/login/", "/tls/ask", "/tls/ask/"]


def test_the_deployed_application_is_wrapped():
    from portal.wsgi import application

    assert isinstance(application, AskFastPath)
