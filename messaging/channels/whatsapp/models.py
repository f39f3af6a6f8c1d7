"""WhatsApp's own tables: business numbers, templates, the customer-service windows, inbound
messages and the status timeline. Outbound messages live in the pipeline's one message table
(`sending_message`, channel `whatsapp`); their `content` document holds what WhatsApp sends."""

import uuid

from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone

from portal.core.tenancy import TenantQuerySet


class Quality(models.TextChoices):
    GREEN = "GREEN", "High"
    YELLOW = "YELLOW", "Medium"
    RED = "RED", "Low"
    UNKNOWN = "UNKNOWN", "Not rated yet"


class Tier(models.TextChoices):
    """Meta's messaging limit: business-initiated conversations per rolling 24 hours."""

    TIER_250 = "TIER_250", "250 customers / 24 h"
    TIER_1K = "TIER_1K", "1,000 customers / 24 h"
    TIER_10K = "TIER_10K", "10,000 customers / 24 h"
    TIER_100K = "TIER_100K", "100,000 customers / 24 h"
    UNLIMITED = "TIER_UNLIMITED", "Unlimited"


DEFAULT_THROUGHPUT = 80  # messages per second Meta gives a number; staff may raise it
MAX_THROUGHPUT = 1000


class BusinessNumber(models.Model):
    """A WhatsApp business number onboarded by staff for an account. The Cloud API settings (base
    URL, token, app secret) are per number: pointing one at the real Graph API is configuration."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="whatsapp_numbers")
    number = models.CharField(max_length=16, unique=True)  # E.164 digits, the `from` of a send
    display_name = models.CharField(max_length=100)
    phone_number_id = models.CharField(max_length=40, unique=True)  # the Graph API's id for the number
    waba_id = models.CharField(max_length=40)  # the WhatsApp Business Account templates belong to
    quality = models.CharField(max_length=10, choices=Quality.choices, default=Quality.UNKNOWN)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.TIER_1K)
    throughput = models.PositiveIntegerField(default=DEFAULT_THROUGHPUT)  # messages per second
    api_base_url = models.URLField(max_length=200)  # https://graph.facebook.com, or the simulator
    api_version = models.CharField(max_length=10, default="v23.0")
    access_token = models.CharField(max_length=300)
    app_secret = models.CharField(max_length=100)  # signs the provider's webhooks (X-Hub-Signature-256)
    verify_token = models.CharField(max_length=100)  # the hub.verify_token of the webhook subscription
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"+{self.number} ({self.display_name})"


class TemplateStatus(models.TextChoices):
    APPROVED = "APPROVED", "Approved"
    PENDING = "PENDING", "Pending"
    REJECTED = "REJECTED", "Rejected"
    PAUSED = "PAUSED", "Paused"
    DISABLED = "DISABLED", "Disabled"


# The catalogued `filter[status]` values.
STATUS_FILTER = {"1": TemplateStatus.APPROVED, "2": TemplateStatus.PENDING, "3": TemplateStatus.REJECTED}


class WhatsappTemplate(models.Model):
    """A service template (`is_conversation`: text, JSON or media, no review) or a Meta template
    (`type: template`, reviewed by Meta). `payload` is the catalogued payload as validated
    (`message_templates.validate`)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="whatsapp_templates")
    number = models.ForeignKey(BusinessNumber, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=100)
    alias = models.CharField(max_length=100)
    type = models.CharField(max_length=10)  # text, json, media, template
    category = models.CharField(max_length=20)  # marketing, utility, authentication
    language = models.CharField(max_length=10)
    is_conversation = models.BooleanField()
    body = models.TextField(blank=True)
    payload = models.JSONField()
    variables = models.JSONField(default=list)  # body variable names in order ({{name}})
    status = models.CharField(max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.PENDING)
    reason = models.CharField(max_length=300, blank=True)  # Meta's rejection reason
    provider_id = models.CharField(max_length=40, blank=True)  # Meta's template id
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number", "alias", "language"], name="uniq_whatsapp_template_alias"),
        ]
        indexes = [models.Index(fields=["provider_id"], condition=~models.Q(provider_id=""), name="wa_tpl_provider")]

    def __str__(self):
        return self.name


class ServiceWindow(models.Model):
    """The 24-hour customer-service window of one (business number, customer): opened or
    refreshed by each inbound message; free-form messages go only while it is open."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    number = models.ForeignKey(BusinessNumber, on_delete=models.CASCADE, related_name="windows")
    customer = models.CharField(max_length=16)  # E.164 digits
    last_inbound_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["number", "customer"], name="uniq_whatsapp_window")]
        indexes = [models.Index(fields=["number", "expires_at"])]

    def __str__(self):
        return f"{self.number_id}/{self.customer} until {self.expires_at}"


class InboundMessage(models.Model):
    """A customer's message to a business number (every WhatsApp type), as the inbox shows it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    number = models.ForeignKey(BusinessNumber, on_delete=models.CASCADE, related_name="inbound")
    customer = models.CharField(max_length=16)
    profile_name = models.CharField(max_length=200, blank=True)
    wamid = models.CharField(max_length=200, unique=True)  # a redelivered webhook is stored once
    type = models.CharField(max_length=20)
    payload = models.JSONField(default=dict)
    text = models.TextField(blank=True)  # searchable: the text, caption or title
    received_at = models.DateTimeField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["account", "number", "customer", "received_at"])]

    def __str__(self):
        return self.wamid


class StatusRecord(models.Model):
    """Every status the provider reported for a message (the detail page's timeline), including
    the ones that did not move it (duplicates, late, out of order)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False)
    wamid = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    code = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["account", "wamid"])]

    def __str__(self):
        return f"{self.wamid} {self.status}"


class WebhookIntake(models.Model):
    """A signed Cloud API webhook body, kept from its 200 until the applier has applied it
    (`webhook_buffer`): the answer waits only for this row's commit, so a crash loses nothing.
    No account: the body names its business numbers, and the applier reads them from it."""

    body = models.BinaryField()
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"webhook {self.pk}"


class _MediaStorage(Storage):
    """The `whatsapp_media` storage of STORAGES, looked up on every use (so a changed setting,
    as in tests, applies at once): the filesystem under MEDIA_ROOT, or S3-compatible storage by
    setting (docs/configuration.md)."""

    def __getattribute__(self, name):
        if name.startswith("__"):
            return object.__getattribute__(self, name)
        return getattr(storages["whatsapp_media"], name)


def media_storage():
    return _MediaStorage()


class WhatsappMedia(models.Model):
    """A file a customer uploaded to send (image, audio, video, document), checked against the
    catalogued limits of its kind; sends name it by `uuid`. `provider_ids` holds the Cloud API's
    media id per phone number id, uploaded on first send from that number."""

    KINDS = (("image", "Image"), ("audio", "Audio"), ("video", "Video"), ("document", "Document"))

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=KINDS)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    file = models.FileField(storage=media_storage, upload_to="whatsapp/%Y/%m/", max_length=300)
    provider_ids = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.filename
