"""Notify an account: an in-portal notification plus an e-mail to its owners and admins."""

from django.db import transaction
from django.utils import timezone

from accounts.brands import addresses, mail
from accounts.brands.resolve import brand_for_account
from accounts.models import Membership, Role
from accounts.notifications.models import Level, Notification


def notify(*, account, title, body="", link="", level=Level.INFO, email=True):
    notification = Notification.objects.create(account=account, title=title, body=body, link=link, level=level)
    if email:
        recipients = list(
            Membership.objects.filter(
                account=account, role__in=[Role.OWNER, Role.ADMIN], user__is_active=True
            ).values_list("user__email", flat=True)
        )
        if recipients:
            # In the account's brand, linking to the brand's domain (accounts.brands.mail).
            brand = brand_for_account(account)
            url = addresses.absolute(link, brand) if link else ""
            text = f"{body}\n\n{url}".strip()
            transaction.on_commit(
                lambda: mail.send(
                    subject=title, text=text, to=recipients, brand=brand, fail_silently=True, action_url=url
                )
            )
    return notification


def unread_count(account):
    return Notification.objects.for_account(account).filter(read_at__isnull=True).count()


def mark_all_read(account):
    return Notification.objects.for_account(account).filter(read_at__isnull=True).update(read_at=timezone.now())
