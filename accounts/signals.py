"""Audit logins and logouts wherever they happen."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.services import audit


def _account_of(user):
    membership = user.memberships.select_related("account").first()
    return membership.account if membership else None


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record("auth.login", account=_account_of(user), actor=user, target=user.email, request=request)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", account=_account_of(user), actor=user, target=user.email, request=request)
