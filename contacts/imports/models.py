"""Contact import jobs: the uploaded file, the chosen column mapping, live progress and the rows
the import refused."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.core.tenancy import TenantQuerySet


class ImportStatus(models.TextChoices):
    # A workbook is read by a job (counting its rows can take seconds), never in the upload request.
    INSPECTING = "inspecting", "Reading the file"
    MAPPING = "mapping", "Awaiting column mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED)
ACTIVE = (ImportStatus.INSPECTING, ImportStatus.QUEUED, ImportStatus.RUNNING)


def import_path(instance, filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "csv"
    return f"contact-imports/{instance.account_id}/{uuid.uuid4().hex}.{ext}"


class ContactImport(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="contact_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=import_path, max_length=255)
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4, default="csv")  # csv | xlsx
    size = models.PositiveBigIntegerField(default=0)
    has_header = models.BooleanField(default=True)
    headers = models.JSONField(default=list, blank=True)  # column titles (or "Column n")
    sample = models.JSONField(default=list, blank=True)  # first data rows, for the mapping step
    mapping = models.JSONField(default=list, blank=True)  # one field per column ("" = not imported)
    replace_tags = models.BooleanField(default=False)
    # The API's one-step import: once the workbook is read, map from its headers and start.
    start_when_read = models.BooleanField(default=False)
    extra_tags = models.JSONField(default=list, blank=True)  # tag names given to every imported contact
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    total = models.PositiveIntegerField(default=0)  # data rows in the file
    processed = models.PositiveIntegerField(default=0)  # data rows handled so far (the resume point)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="contactimport_account_id"),
            models.Index(fields=["status", "heartbeat_at"], name="contactimport_status_beat"),
        ]

    def __str__(self):
        return f"{self.filename} ({self.status})"

    @property
    def finished(self):
        return self.status in FINISHED

    @property
    def active(self):
        return self.status in ACTIVE

    @property
    def imported(self):
        return self.added + self.updated

    @property
    def percent(self):
        if self.status == ImportStatus.DONE:
            return 100
        return min(100, int(self.processed * 100 / self.total)) if self.total else 0

    def is_stale(self, now=None):
        from contacts.imports.services import STALE_AFTER

        if self.status not in (ImportStatus.RUNNING, ImportStatus.INSPECTING):
            return False
        beat = self.heartbeat_at or self.started_at
        return beat is None or (now or timezone.now()) - beat > STALE_AFTER


class RowKind(models.TextChoices):
    INVALID = "invalid", "Invalid"
    SKIPPED = "skipped", "Skipped"


class ImportRow(models.Model):
    """A row the import did not apply, with its number in the file and the reason; the report
    download streams these."""

    job = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=RowKind.choices, default=RowKind.INVALID)
    reason = models.CharField(max_length=300)
    values = models.JSONField(default=list)

    class Meta:
        ordering = ["row"]
        indexes = [models.Index(fields=["job", "row"], name="importrow_job_row")]

    def __str__(self):
        return f"row {self.row}: {self.reason}"
