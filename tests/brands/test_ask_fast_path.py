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


def walk_the_cases(ask, brand, settle=lambda: None):
    """The ask's table of cases, for every server that answers it (this WSGI path, the edge
    server): `ask(query, host)` -> (status, headers, body); `settle()` after each brand change
    (the edge reads the change on its own clock)."""
    claim = domains.add_domain(brand=brand, host=HOST)
    settle()
    assert ask(f"domain={HOST}")[0] == 404  # pending
    BrandDomain.objects.filter(pk=claim.pk).update(status=DomainStatus.VERIFIED)
    resolve.bump()  # what the domain services do after a change
    settle()
    status, headers, body = ask(f"domain={HOST.upper()}.")
    assert (status, body) == (200, b"ok")
    assert headers["server-timing"].startswith("app;dur=") and headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"].startswith("text/plain") and headers["cache-control"] == "no-store"
    assert ask("domain=bics.localhost")[0] == 200
    BrandDomain.objects.filter(pk=claim.pk).update(status=DomainStatus.FAILING)
    resolve.bump()
    settle()
    assert ask(f"domain={HOST}")[0] == 200  # failing is still served
    domains.remove_domain(domain=BrandDomain.objects.get(pk=claim.pk))
    settle()
    assert ask(f"domain={HOST}")[0] == 404  # released (here at once; on the edge within its interval)
    for other in ("domain=unknown.example", "domain=localhost", "domain=testserver", "domain=", "", "domain=%00"):
        assert ask(other)[0] == 404, other
    # The Host header is checked as BrandMiddleware checks it: an unknown host is a plain 400.
    status, headers, body = ask("domain=bics.localhost", host="evil.example")
    assert (status, body) == (400, b"Bad Request (400)") and headers["content-type"].startswith("text/plain")
    assert ask("domain=bics.localhost", host="bics.localhost")[0] == 200
    assert ask("domain=bics.localhost", host="localhost:8000")[0] == 200
    assert ask("domain=bics.localhost", host="")[0] == 400


def test_the_table_of_cases(brand, django_app):
    fast = AskFastPath(django_app)

    def ask(query, host="127.0.0.1"):
        status, headers, body = call(fast, query=query, host=host)
        return status, {k.lower(): v for k, v in headers.items()}, body

    walk_the_cases(ask, brand)
    assert django_app.calls == []


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
