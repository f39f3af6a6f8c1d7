"""Suppression lists: unsubscribed numbers (every channel) and blocked DLT template ids."""

import uuid

from django.db import models

from messaging.models import Channel
from portal.core.tenancy import TenantQuerySet

# Opt-outs exist per messaging channel (numbers have none).
MESSAGE_CHANNELS = [choice for choice in Channel.choices if choice[0] != Channel.NUMBERS]


class ScopeType(models.TextChoices):
    ALL = "all", "Everything"
    TAG = "tag", "Tag"
    PRODUCT = "product", "Product / service"
    SENDER = "sender", "Sender ID"


ALL_VALUE = "*"


class Unsubscriber(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="unsubscribers")
    channel = models.CharField(max_length=10, choices=MESSAGE_CHANNELS, default=Channel.SMS)
    receiver = models.CharField(max_length=16)  # E.164 digits, no "+"
    iso = models.CharField(max_length=2, blank=True)
    type = models.CharField(max_length=10, choices=ScopeType.choices, default=ScopeType.ALL)
    value = models.CharField(max_length=100, default=ALL_VALUE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "channel", "receiver", "type", "value"], name="uniq_unsub"),
        ]
        indexes = [models.Index(fields=["account", "channel", "-created_at"])]

    def __str__(self):
        return f"{self.receiver} ({self.type}:{self.value})"


class BlockedTemplate(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="blocked_templates")
    template_id = models.CharField(max_length=30)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "template_id"], name="uniq_blocked_template")]

    def __str__(self):
        return self.template_id


class ImportKind(models.TextChoices):
    UNSUBSCRIBERS = "unsubscribers", "Unsubscribers"
    BLOCKED_TEMPLATES = "blocked_templates", "Blocked templates"
    SENDERS = "senders", "Sender IDs"
    TEMPLATES = "templates", "DLT templates"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def import_path(instance, filename):
    return f"imports/{instance.account_id}/{uuid.uuid4().hex}.{instance.file_format or 'csv'}"


class ImportJob(models.Model):
    """A file import running in the background, with progress the pages poll."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    # Empty until a URL import's job has downloaded the file.
    file = models.FileField(upload_to=import_path, blank=True)
    file_format = models.CharField(max_length=4, default="csv")  # csv | xlsx | xls
    filename = models.CharField(max_length=255, blank=True)
    # An import from a URL (blocked templates): the job downloads it, the request never does.
    source_url = models.CharField(max_length=2000, blank=True)
    channel = models.CharField(max_length=10, choices=MESSAGE_CHANNELS, default=Channel.SMS)
    scope_type = models.CharField(max_length=10, choices=ScopeType.choices, default=ScopeType.ALL)
    scope_value = models.CharField(max_length=100, default=ALL_VALUE)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    # The first rejected rows ({row, value, reason}); the full list is in `report`.
    rejected_sample = models.JSONField(default=list, blank=True)
    report = models.FileField(upload_to=import_path, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind} import {self.uuid} ({self.status})"

    @property
    def percent(self):
        if self.status == ImportStatus.DONE:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0

    @property
    def finished(self):
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def downloading(self):
        return self.status == ImportStatus.RUNNING and self.source_url and not self.file
