"""Webhook health: count consecutive failed attempts; past the threshold flag the webhook once and
tell the account (in-portal notification and e-mail to its owner and admins). A success clears it."""

from django.conf import settings
from django.db.models import F
from django.urls import reverse

from accounts.notifications.models import Level
from accounts.notifications.services import notify
from messaging.webhooks.models import Webhook


def note(per_webhook, *, now):
    """`per_webhook` maps a webhook pk to its outcomes (True = success) in the order they ended."""
    for pk, outcomes in per_webhook.items():
        if outcomes[-1]:
            failures_after = 0
            for ok in reversed(outcomes):
                if ok:
                    break
                failures_after += 1
            Webhook.objects.filter(pk=pk).update(
                consecutive_failures=failures_after, flagged_at=None, last_success_at=now
            )
        else:
            trailing = 0
            for ok in reversed(outcomes):
                if ok:
                    break
                trailing += 1
            changes = {"last_failure_at": now}
            if trailing < len(outcomes):
                changes["consecutive_failures"] = trailing
                changes["flagged_at"] = None
            else:
                changes["consecutive_failures"] = F("consecutive_failures") + trailing
            Webhook.objects.filter(pk=pk).update(**changes)
    _flag(list(per_webhook), now=now)


def _flag(pks, *, now):
    threshold = settings.WEBHOOK_FAILURE_THRESHOLD
    for webhook in Webhook.objects.filter(
        pk__in=pks, flagged_at__isnull=True, consecutive_failures__gte=threshold
    ).select_related("account"):
        # Conditional: only the worker that sets the flag sends the notice.
        if Webhook.objects.filter(pk=webhook.pk, flagged_at__isnull=True).update(flagged_at=now):
            notify(
                account=webhook.account,
                title=f"Webhook “{webhook.name}” keeps failing",
                body=(
                    f"The last {webhook.consecutive_failures} deliveries to {webhook.uri} failed. "
                    "Check the receiver, then replay the failed deliveries from the delivery log."
                ),
                link=reverse("webhooks:delivery_list") + f"?webhook={webhook.uuid}&status=failed",
                level=Level.ERROR,
            )
