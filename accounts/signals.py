"""Audit logins and logouts wherever they happen; bump an account's rules version when what API
authentication reads changes (its keys, its memberships, the account), so processes drop the
keys they keep (accounts.services.apikeys.find_key_cached)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Account, ApiKey, Membership
from accounts.services import audit
from portal.core import rules


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


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def on_key_or_member_change(sender, instance, **kwargs):
    rules.bump(_account(instance.account_id))


@receiver(post_save, sender=Account)
@receiver(post_delete, sender=Account)
def on_account_change(sender, instance, **kwargs):
    rules.bump(instance)


def _account(pk):
    # rules.bump needs only the primary key.
    return Account(pk=pk)
