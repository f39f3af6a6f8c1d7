"""Response headers: a Content-Security-Policy everywhere (and templates that live with it), HSTS
over TLS, `no-store` where a secret is shown, an HttpOnly CSRF cookie, no `Server` banner."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest
from django.conf import settings

from accounts.models import Role
from tests.factories import make_member

HX = {"HTTP_HX_REQUEST": "true"}
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


# Content-Security-Policy


def test_the_policy_allows_no_inline_code_and_no_framing():
    policy = dict(part.strip().split(" ", 1) for part in settings.CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in settings.CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {}),
        ("/developers/api-keys/", {}),
        ("/developers/api-keys/", HX),  # a fragment
        ("/team/", {}),
        ("/no-such-page/", {}),  # an error page
        ("/api/v2/auth/me", {}),  # the API (401)
    ],
)
def test_every_answer_carries_the_policy(user_client, path, headers):
    res = user_client.get(path, **headers)
    assert res["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_the_login_page_carries_the_policy(client, db):
    assert client.get("/login/")["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_the_api_reference_keeps_its_own_policy(client, db):
    from portal.api.docs import DOCS_CSP

    assert client.get("/api/docs/")["Content-Security-Policy"] == DOCS_CSP


# What the policy would block, found in the templates before a browser does.
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=\"", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+=\"", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    # hx-on, js: values and trigger filters (`click[ctrlKey]`, `every 5s [cond]`) are evaluated.
    (
        re.compile(r"hx-on[:-]|hx-vals=['\"]js:|hx-trigger=\"(?:[^\"]*,)?\s*(?:every \d+m?s\s*|[\w.:-]+)\[", re.I),
        "htmx code that needs eval",
    ),
]
# The Redoc page has a policy of its own (portal/api/docs.py).
OWN_POLICY = {TEMPLATES / "drf_spectacular" / "redoc.html"}
# E-mails are never served under the policy, and mail clients drop stylesheets: inline styles there.
NOT_SERVED = TEMPLATES / "emails"


def test_no_template_has_code_the_policy_blocks():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path in OWN_POLICY or path.is_relative_to(NOT_SERVED):
            continue
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)}")
    assert found == []


def test_htmx_is_told_not_to_inject_styles_or_eval(user_client):
    html = user_client.get("/").content.decode()
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


# HSTS


def test_hsts_is_sent_over_tls_by_default(client, db):
    res = client.get("/login/", secure=True)
    assert res["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login/")  # never over plain HTTP


# Secrets are not cached


def assert_no_store(response):
    assert "no-store" in response.get("Cache-Control", ""), response.get("Cache-Control")


def test_a_new_keys_secret_is_not_stored_page_or_fragment(user_client):
    assert_no_store(user_client.post("/developers/api-keys/create/", {"name": "Page"}))
    assert_no_store(user_client.post("/developers/api-keys/create/", {"name": "Fragment"}, **HX))


def test_two_factor_setup_and_recovery_codes_are_not_stored(user_client, owner):
    assert_no_store(user_client.get("/settings/security/2fa/setup/"))
    owner.refresh_from_db()
    res = user_client.post("/settings/security/2fa/setup/", {"code": pyotp.TOTP(owner.totp_secret).now()})
    assert "recovery-codes" in res.content.decode()
    assert_no_store(res)
    owner.refresh_from_db()
    owner.totp_last_step = 0
    owner.save(update_fields=["totp_last_step"])
    res = user_client.post("/settings/security/2fa/recovery-codes/", {"code": pyotp.TOTP(owner.totp_secret).now()})
    assert "recovery-codes" in res.content.decode()
    assert_no_store(res)
    assert_no_store(user_client.get("/settings/security/"))


def test_webhook_pages_showing_the_signing_key_are_not_stored(user_client, account):
    from messaging.webhooks import services as webhooks

    hook = webhooks.create_webhook(account=account, data={"name": "Shop", "uri": "https://shop.example/hook"})
    for path in ("/developer/webhooks/", f"/developer/webhooks/{hook.uuid}/", "/developer/webhooks/new/"):
        res = user_client.get(path)
        assert res.status_code == 200, path
        assert_no_store(res)
    assert str(hook.uuid) in user_client.get("/developer/webhooks/").content.decode()


def test_pages_without_secrets_keep_normal_caching(user_client):
    assert "no-store" not in user_client.get("/team/").get("Cache-Control", "")


# CSRF cookie


def test_the_csrf_cookie_is_http_only_and_the_token_travels_in_the_page(client, db):
    res = client.get("/login/")
    cookie = res.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert 'name="csrfmiddlewaretoken"' in res.content.decode()


def test_htmx_posts_carry_the_token_from_the_template(client, account):
    from django.test import Client

    developer = make_member(account, Role.DEVELOPER)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(developer)
    html = browser.get("/developers/api-keys/").content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html).group(1)
    assert browser.post("/developers/api-keys/create/", {"name": "No token"}, **HX).status_code == 403
    res = browser.post("/developers/api-keys/create/", {"name": "With token"}, HTTP_X_CSRFTOKEN=token, **HX)
    assert res.status_code == 200


# No Server banner (gunicorn)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _headers_from_gunicorn(*config):
    port = _free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, *config, "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/login/")
                response = conn.getresponse()
                response.read()
                return {k.lower(): v for k, v in response.getheaders()}
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_gunicorn_with_the_portals_config_sends_no_server_banner():
    assert "server" in _headers_from_gunicorn()  # gunicorn's default: the banner
    headers = _headers_from_gunicorn("--config", "python:portal.gunicorn_conf")
    assert "server" not in headers
    assert headers["content-security-policy"] == settings.CONTENT_SECURITY_POLICY


def test_runportal_starts_gunicorn_with_that_config():
    from portal import web_server  # what runportal starts

    command = web_server.command("/venv/bin", bind="127.0.0.1:8000", workers=2)
    assert command[command.index("--config") + 1] == "python:portal.gunicorn_conf"
