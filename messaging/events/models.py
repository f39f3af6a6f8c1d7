"""The event outbox: rows written in the same transaction as the change they describe.

Webhook delivery (a later part) reads undelivered rows; nothing is sent mid-transaction, so a
rolled-back change never announces itself and a committed one is never lost.
"""

import uuid

from django.db import models

from portal.tenancy import TenantQuerySet


class Event(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="events")
    # Catalogued names (`sms:message:status`, ...) or internal ones (`portal:sender:reviewed`).
    type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set by the delivery worker once every subscription has been handed the event.
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return f"{self.type} {self.uuid}"
