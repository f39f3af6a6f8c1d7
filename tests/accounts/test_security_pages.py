"""Security settings: enabling and disabling TOTP, recovery codes, password change."""

import re

import pyotp
import pytest

from accounts.models import AuditEvent


def _now_code(user):
    user.refresh_from_db()
    return pyotp.TOTP(user.totp_secret).now()


def _enable(client, user):
    page = client.get("/settings/security/2fa/setup/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    res = client.post("/settings/security/2fa/setup/", {"code": _now_code(user)})
    assert res.status_code == 200
    codes = re.findall(r"\b[0-9a-f]{8}-[0-9a-f]{8}\b", res.content.decode())
    user.refresh_from_db()
    user.totp_last_step = 0
    user.save(update_fields=["totp_last_step"])
    return codes


def test_enabling_two_factor_shows_recovery_codes_once(user_client, owner, account):
    codes = _enable(user_client, owner)
    owner.refresh_from_db()
    assert owner.totp_enabled and len(codes) == 10
    assert AuditEvent.objects.filter(action="2fa.enabled", actor=owner, account=account).exists()
    page = user_client.get("/settings/security/").content.decode()
    assert "10 recovery codes left" in page and codes[0] not in page


def test_a_wrong_setup_code_keeps_two_factor_off(user_client, owner):
    user_client.get("/settings/security/2fa/setup/")
    res = user_client.post("/settings/security/2fa/setup/", {"code": "123456"})
    assert res.status_code == 422
    owner.refresh_from_db()
    assert not owner.totp_enabled


def test_disabling_needs_password_and_code(user_client, owner, password):
    _enable(user_client, owner)
    res = user_client.post("/settings/security/2fa/disable/", {"password": "wrong", "code": _now_code(owner)})
    assert res.status_code == 422
    res = user_client.post("/settings/security/2fa/disable/", {"password": password, "code": "000000"})
    assert res.status_code == 422
    owner.refresh_from_db()
    assert owner.totp_enabled
    res = user_client.post("/settings/security/2fa/disable/", {"password": password, "code": _now_code(owner)})
    assert res.status_code == 302
    owner.refresh_from_db()
    assert not owner.totp_enabled and not owner.recovery_codes.exists()
    assert AuditEvent.objects.filter(action="2fa.disabled", actor=owner).exists()


def test_recovery_codes_are_regenerated_with_a_code(user_client, owner):
    old = _enable(user_client, owner)
    res = user_client.post("/settings/security/2fa/recovery-codes/", {"code": _now_code(owner)})
    new = re.findall(r"\b[0-9a-f]{8}-[0-9a-f]{8}\b", res.content.decode())
    assert len(new) == 10 and not set(old) & set(new)
    assert AuditEvent.objects.filter(action="2fa.recovery_codes_regenerated").exists()


def test_the_password_is_changed_and_the_session_kept(user_client, owner, password):
    res = user_client.post(
        "/settings/security/",
        {"old_password": password, "new_password1": "Fresh-passphrase-91", "new_password2": "Fresh-passphrase-91"},
    )
    assert res.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Fresh-passphrase-91")
    assert user_client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=owner).exists()


def test_a_wrong_old_password_is_refused(user_client, owner, password):
    res = user_client.post("/settings/security/", {"old_password": "nope", "new_password1": "x", "new_password2": "x"})
    assert res.status_code == 422
    owner.refresh_from_db()
    assert owner.check_password(password)


@pytest.mark.parametrize("url", ["/settings/security/", "/settings/security/2fa/setup/"])
def test_security_pages_need_login(client, db, url):
    assert client.get(url)["Location"].startswith("/login/")
