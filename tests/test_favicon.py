"""The favicon exists: pages link it and /favicon.ico leads to it (no 404 in every browser tab)."""

from django.contrib.staticfiles import finders
from django.test import Client


def test_favicon_ico_redirects_to_the_icon(client, db):
    res = client.get("/favicon.ico")
    assert res.status_code == 301 and res["Location"].endswith("src/img/favicon.svg")
    assert finders.find("src/img/favicon.svg")


def test_pages_link_the_icon(user_client, db):
    for page in (Client().get("/login/"), user_client.get("/")):
        assert 'rel="icon"' in page.content.decode() and "favicon.svg" in page.content.decode()
