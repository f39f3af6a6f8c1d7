"""One TOTP code logs in one session: two submissions of the same code at the same instant
cannot both win (the step moves forward in one conditional UPDATE)."""

import threading

import pyotp
import pytest
from django.db import connection, connections
from django.test import Client

from accounts.models import User
from accounts.services import security
from tests.factories import PASSWORD, make_account


def _two_factor_user():
    _, user = make_account()
    security.start_totp_setup(user)
    assert security.enable_totp(user, pyotp.TOTP(user.totp_secret).now())
    User.objects.filter(pk=user.pk).update(totp_last_step=0)  # the current code may log in again
    user.refresh_from_db()
    return user


@pytest.mark.django_db
def test_a_stale_copy_of_the_user_cannot_reuse_a_code():
    user = _two_factor_user()
    first, second = User.objects.get(pk=user.pk), User.objects.get(pk=user.pk)  # two sessions' reads
    code = pyotp.TOTP(user.totp_secret).now()
    assert security.verify_totp(first, code) is True
    assert security.verify_totp(second, code) is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two connections racing")
@pytest.mark.django_db(transaction=True)
def test_two_sessions_submitting_one_code_at_the_same_instant_log_in_once(monkeypatch):
    user = _two_factor_user()
    code = pyotp.TOTP(user.totp_secret).now()
    clients = [Client(), Client()]
    for c in clients:
        assert c.post("/login/", {"email": user.email, "password": PASSWORD})["Location"] == "/login/verify/"

    # Both requests have read the user and checked the step before either writes: the widest
    # window two simultaneous submissions can have.
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()
    real_at = pyotp.TOTP.at

    def at(self, *args, **kwargs):
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return real_at(self, *args, **kwargs)

    monkeypatch.setattr(pyotp.TOTP, "at", at)
    results, errors = [None, None], []

    def submit(i):
        try:
            res = clients[i].post("/login/verify/", {"code": code})
            results[i] = res.status_code == 302 and "_auth_user_id" in clients[i].session
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert sorted(results) == [False, True]
