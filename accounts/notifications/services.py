"""Notify an account: an in-portal notification plus an e-mail to its owners and admins."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

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
            url = settings.SITE_URL + link if link.startswith("/") else link
            text = f"{body}\n\n{url}".strip()
            transaction.on_commit(lambda: send_mail(title, text, None, recipients, fail_silently=True))
    return notification


def unread_count(account):
    return Notification.objects.for_account(account).filter(read_at__isnull=True).count()


def mark_all_read(account):
    return Notification.objects.for_account(account).filter(read_at__isnull=True).update(read_at=timezone.now())
