"""The event outbox: rows written in the same transaction as the change they describe.

The webhook worker (messaging/webhooks) reads rows not yet processed and turns each into
deliveries; nothing is sent mid-transaction, so a rolled-back change never announces itself and a
committed one is never lost.
"""

import uuid

from django.db import models
from django.db.models.fields.json import KeyTextTransform

from portal.core.tenancy import TenantQuerySet


class Event(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="events")
    # A registered event name (declared in an app's events.py; catalogued or internal `portal:...`).
    type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField(default=dict)
    # Routing (never sent to the customer): the webhook named on the request, the source the
    # event comes from (`sender:TXTSMS`, `number:9192...`) for subscriptions, and a per-message
    # callback URL (Engage `dlr.url`).
    webhook_id = models.CharField(max_length=64, blank=True, default="")
    identity = models.CharField(max_length=100, blank=True, default="")
    callback_url = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set by the delivery worker once every subscription has been handed the event.
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            # The worker's queue: only unprocessed rows are in it, so it stays small.
            models.Index(fields=["id"], condition=models.Q(processed_at__isnull=True), name="events_unprocessed"),
            # A message's status events by its public id (`payload.id`, "<group_id>:<index>"): the
            # message detail's timeline and webhook deliveries. Receipts may be processed long
            # after the time they carry, so a time window cannot find them.
            models.Index("account", KeyTextTransform("id", "payload"), name="events_payload_id"),
        ]

    def __str__(self):
        return f"{self.type} {self.uuid}"
