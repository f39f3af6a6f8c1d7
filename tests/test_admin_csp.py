"""The Django admin under the portal's Content-Security-Policy: the policy stays strict on its
pages, and what the admin renders holds no inline code the policy would block (the browser test,
tests/e2e/test_admin_csp.py, runs its scripts)."""

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.admin import LedgerEntryAdmin
from accounts.models import User
from accounts.services import credits
from tests.factories import PASSWORD, make_account, make_key

INLINE_CODE = [
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline script"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def inline_code(html):
    return [what for pattern, what in INLINE_CODE if pattern.search(html)]


@pytest.fixture
def root(db):
    return User.objects.create_superuser(email="root@example.com", password=PASSWORD)


@pytest.fixture
def admin_client(client, root):
    account, _ = make_account(name="Admin Co", credits_amount="10")
    make_key(account, name="Integration")
    credits.debit(account=account, amount="1", reason="traffic")
    client.force_login(root)
    return client


def admin_pages(superuser):
    request = RequestFactory().get("/django-admin/")
    request.user = superuser
    pages = [reverse("admin:index"), reverse("admin:password_change")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_changelist".format(*info)) + "?q=a")
        if model_admin.has_add_permission(request):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            pages.append(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
    return pages


def test_admin_pages_keep_the_strict_policy(admin_client, settings):
    policy = admin_client.get(reverse("admin:index"))["Content-Security-Policy"]
    assert policy == settings.CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "nonce-" not in policy


def test_no_admin_page_renders_inline_code(admin_client, root):
    found = {}
    for path in admin_pages(root):
        res = admin_client.get(path)
        assert res.status_code == 200, path
        if problems := inline_code(res.content.decode()):
            found[path] = problems
    assert found == {}


def test_a_change_list_without_an_action_bar_takes_its_rule_from_a_stylesheet(admin_client, monkeypatch):
    # Django writes this list's column rule as an inline <style>, which the policy blocks.
    monkeypatch.setattr(LedgerEntryAdmin, "actions_on_top", False)
    monkeypatch.setattr(LedgerEntryAdmin, "actions_on_bottom", False)
    html = admin_client.get(reverse("admin:accounts_ledgerentry_changelist")).content.decode()
    assert inline_code(html) == []
    assert re.search(r'<body class="[^"]*\bno-action-bar\b', html)
    assert 'href="/static/src/css/admin.css"' in html


def test_a_change_list_with_its_action_bar_keeps_djangos_layout(admin_client):
    html = admin_client.get(reverse("admin:accounts_apikey_changelist")).content.decode()
    assert "no-action-bar" not in html and 'name="action"' in html
    assert inline_code(html) == []
