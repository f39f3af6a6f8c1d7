"""Short links: the `tiny` URLs of Engage sends, shaped like the catalog's smart links
(integer id, `short_url`, `long_url`, visits) so the smart-link API can grow from the same rows."""

import uuid

from django.db import models

from portal.core.tenancy import TenantQuerySet


class Link(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="links")
    code = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200, blank=True)
    long_url = models.URLField(max_length=2000)
    # The send that carries the link; with one recipient, `message_index` names its message.
    batch = models.ForeignKey("sending.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="links")
    message_index = models.PositiveIntegerField(null=True, blank=True)
    mobile = models.CharField(max_length=16, blank=True)
    # Where visits are announced: a webhook id and/or the Engage request's `dlr.url`.
    webhook_id = models.CharField(max_length=64, blank=True)
    callback_url = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    visits = models.PositiveIntegerField(default=0)
    last_visited = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return f"{self.code} -> {self.long_url}"


class Visit(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="visit_log")
    client_ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    referer = models.CharField(max_length=500, blank=True)
    browser = models.CharField(max_length=50, blank=True)
    platform = models.CharField(max_length=50, blank=True)
    device_type = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["link", "-created_at"])]

    def __str__(self):
        return f"visit {self.uuid} of {self.link_id}"
