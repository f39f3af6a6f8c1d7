"""Periodic housekeeping for accounts (thin wrappers; logic lives in services)."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import Invitation


@shared_task
def expire_invitations():
    """Mark invitations past their expiry as revoked so lists show them as ended."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=timezone.now()
    ).update(revoked_at=timezone.now())


@shared_task
def purge_stale_sessions():
    return Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]
