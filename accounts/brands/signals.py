"""Brand lookups are cached (resolve.py): every change that could move a host or an account to
another brand writes a new version stamp."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.brands import resolve
from accounts.brands.models import Brand, BrandDomain
from accounts.models import Account


@receiver(post_save, sender=Brand)
@receiver(post_delete, sender=Brand)
@receiver(post_save, sender=BrandDomain)
@receiver(post_delete, sender=BrandDomain)
@receiver(post_save, sender=Account)
def _invalidate(sender, **kwargs):
    resolve.bump()
    # Readers in other processes must not refill their copy from the old rows before commit.
    transaction.on_commit(resolve.bump)
