"""Login with password and the 2FA step, throttling, redirects, logout, password reset."""

import re

import pyotp
import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import AuditEvent
from accounts.services import security


def login(client, email, password, **extra):
    return client.post("/login/", {"email": email, "password": password, **extra})


def test_a_user_logs_in_and_is_audited(client, owner, password):
    res = login(client, owner.email, password)
    assert res.status_code == 302 and res["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor=owner).exists()


def test_a_wrong_password_shows_an_error_and_is_audited(client, owner, account):
    res = login(client, owner.email, "wrong")
    assert res.status_code == 200
    assert "incorrect" in res.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", account=account, target=owner.email).exists()


@override_settings(LOGIN_FAILURES_PER_USER=3)
def test_failures_are_throttled_per_user(client, owner, password):
    for _ in range(3):
        login(client, owner.email, "wrong")
    res = login(client, owner.email, password)
    assert "Too many failed attempts" in res.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_FAILURES_PER_IP=4, LOGIN_FAILURES_PER_USER=100)
def test_failures_are_throttled_per_address(client, owner, password):
    for i in range(4):
        login(client, f"nobody{i}@example.com", "wrong")
    assert "Too many failed attempts" in login(client, owner.email, password).content.decode()
    # Another address is unaffected.
    res = client.post("/login/", {"email": owner.email, "password": password}, REMOTE_ADDR="192.0.2.50")
    assert res.status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http://testserver.evil/"])
def test_an_external_next_is_ignored(client, owner, password, target):
    res = client.post(f"/login/?next={target}", {"email": owner.email, "password": password, "next": target})
    assert res["Location"] == "/"


def test_a_same_site_next_is_followed(client, owner, password):
    res = login(client, owner.email, password, next="/team/")
    assert res["Location"] == "/team/"


def test_logout_is_post_only(user_client):
    assert user_client.get("/logout/").status_code == 405
    assert user_client.post("/logout/").status_code == 302
    assert user_client.get("/").status_code == 302


@pytest.fixture
def two_factor_user(owner):
    security.start_totp_setup(owner)
    codes = security.enable_totp(owner, pyotp.TOTP(owner.totp_secret).now())
    owner.refresh_from_db()
    owner.totp_last_step = 0  # let the test log in with the current code again
    owner.save(update_fields=["totp_last_step"])
    return owner, codes


def test_two_factor_login_asks_for_a_code(client, two_factor_user, password):
    user, _ = two_factor_user
    res = login(client, user.email, password)
    assert res["Location"] == "/login/verify/"
    assert "_auth_user_id" not in client.session
    res = client.post("/login/verify/", {"code": "000000"})
    assert "not valid" in res.content.decode()
    res = client.post("/login/verify/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert res.status_code == 302 and res["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_totp_code_cannot_be_replayed(client, two_factor_user, password):
    user, _ = two_factor_user
    code = pyotp.TOTP(user.totp_secret).now()
    login(client, user.email, password)
    client.post("/login/verify/", {"code": code})
    client.post("/logout/")
    login(client, user.email, password)
    res = client.post("/login/verify/", {"code": code})
    assert res.status_code == 200 and "not valid" in res.content.decode()


def test_a_recovery_code_works_once(client, two_factor_user, password):
    user, codes = two_factor_user
    assert len(codes) == 10
    login(client, user.email, password)
    assert client.post("/login/verify/", {"code": codes[0]}).status_code == 302
    client.post("/logout/")
    login(client, user.email, password)
    assert client.post("/login/verify/", {"code": codes[0]}).status_code == 200


def test_two_factor_attempts_are_limited(client, two_factor_user, password):
    user, _ = two_factor_user
    login(client, user.email, password)
    for _ in range(3):
        client.post("/login/verify/", {"code": "111111"})
    res = client.post("/login/verify/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert "Too many attempts" in res.content.decode()


def test_the_verify_step_needs_a_password_first(client, db):
    assert client.get("/login/verify/")["Location"] == "/login/"


def test_password_reset_by_email(client, owner):
    res = client.post("/password-reset/", {"email": owner.email})
    assert res["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/password-reset/[^\s]+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[-1]
    res = client.get(path, follow=True)
    form_url = res.redirect_chain[-1][0] if res.redirect_chain else path
    res = client.post(form_url, {"new_password1": "A-new-passphrase-77", "new_password2": "A-new-passphrase-77"})
    assert res.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("A-new-passphrase-77")


def test_password_reset_requests_are_throttled(client, owner):
    for _ in range(5):
        client.post("/password-reset/", {"email": owner.email})
    assert len(mail.outbox) == 3


def test_password_reset_does_not_reveal_unknown_addresses(client, db):
    res = client.post("/password-reset/", {"email": "nobody@example.com"})
    assert res["Location"] == "/password-reset/sent/"
    assert mail.outbox == []
