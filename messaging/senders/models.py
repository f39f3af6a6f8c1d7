"""Sender IDs (headers) and DLT content templates: registered by customers, approved by staff."""

import uuid

from django.db import models

from portal.core.tenancy import TenantQuerySet


class ReviewStatus(models.IntegerChoices):
    PENDING = 0, "Pending"
    APPROVED = 1, "Approved"
    REJECTED = 2, "Rejected"


class TemplateType(models.TextChoices):
    TRANSACTIONAL = "T", "Transactional"
    PROMOTIONAL = "P", "Promotional"
    SERVICE_IMPLICIT = "SI", "Service Implicit"
    SERVICE_EXPLICIT = "SE", "Service Explicit"


def document_path(instance, filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"sender-documents/{instance.account_id}/{uuid.uuid4().hex}.{ext}"


class Reviewable(models.Model):
    """Fields every staff-reviewed registration carries."""

    status = models.PositiveSmallIntegerField(choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    # The reason the customer sees after a rejection (the contract's `message`).
    review_message = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Sender(Reviewable):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="senders")
    product = models.ForeignKey("messaging.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=15)
    iso = models.CharField(max_length=2)
    entity_id = models.CharField(max_length=30, blank=True)
    entity_name = models.CharField(max_length=200, blank=True)
    header_id = models.CharField(max_length=30, blank=True)
    document = models.FileField(upload_to=document_path, blank=True)
    is_open = models.BooleanField(default=False)
    purpose = models.PositiveSmallIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "product", "name"], name="uniq_sender_per_product"),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["status", "submitted_at"]),
        ]

    def __str__(self):
        return f"{self.name} ({self.product_id})"


class Template(Reviewable):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="sms_templates")
    sender = models.ForeignKey(Sender, on_delete=models.PROTECT, related_name="templates")
    template_id = models.CharField(max_length=30, blank=True)  # the DLT portal's id
    name = models.CharField(max_length=100)
    alias = models.SlugField(max_length=120)
    body = models.TextField()
    type = models.CharField(max_length=2, choices=TemplateType.choices, default=TemplateType.TRANSACTIONAL)
    is_english = models.BooleanField(default=True)
    entity_id = models.CharField(max_length=30, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "alias"], name="uniq_template_alias")]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["account", "template_id"]),
            models.Index(fields=["status", "submitted_at"]),
        ]

    def __str__(self):
        return self.name
