"""The generated OpenAPI schema and the docs page (served without any CDN)."""

import re


def test_the_schema_lists_the_endpoints(client, db):
    res = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert res.status_code == 200
    paths = res.json()["paths"]
    for path in [
        "/api/v2/auth/me",
        "/api/v2/finance/balance",
        "/api/v2/finance/credits",
        "/api/v3/auth/token/generate",
        "/api/v3/auth/token/refresh",
    ]:
        assert path in paths


def test_the_docs_page_loads_nothing_from_outside(client, db):
    res = client.get("/api/docs/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "redoc" in html.lower()
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
    assert [url for url in external if "testserver" not in url] == []
