"""Webhooks (where events go), subscriptions (which events), deliveries and their attempts.

A delivery is one event for one target; its schedule lives in the row (`next_attempt_at`), so a
worker restart loses nothing. Attempts are the log: one row per HTTP call, with what was sent and
what came back (truncated).
"""

import uuid

from django.db import models

from portal.core.tenancy import TenantQuerySet


class Kind(models.TextChoices):
    STANDARD = "standard", "Standard (POST JSON)"
    CUSTOM = "custom", "Customized (your URL, method, params and body)"


class Method(models.TextChoices):
    GET = "GET", "GET"
    POST = "POST", "POST"
    PUT = "PUT", "PUT"


class BodyFormat(models.TextChoices):
    RAW = "raw", "raw (JSON)"
    FORM = "form", "form-data"


class Webhook(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the contract's `id`
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=200)
    uri = models.CharField(max_length=2000)
    # Sent back as `Authorization: Bearer <secret>` on every callback (masked in API answers).
    secret = models.CharField(max_length=255, blank=True)
    # The validation key of the verification challenge (the API's `token` / `verification_code`).
    token = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STANDARD)
    # Customized webhooks only: method, query params, headers and body as [[key, value], ...];
    # values may hold `{{variable}}` placeholders.
    method = models.CharField(max_length=4, choices=Method.choices, default=Method.POST)
    params = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=list, blank=True)
    body_format = models.CharField(max_length=4, choices=BodyFormat.choices, default=BodyFormat.RAW)
    body = models.JSONField(default=list, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_error = models.CharField(max_length=300, blank=True)
    # Health: consecutive failed attempts; flagged (and the owner told) past the threshold.
    consecutive_failures = models.PositiveIntegerField(default=0)
    flagged_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "name"])]

    def __str__(self):
        return self.name

    @property
    def needs_verification(self):
        return bool(self.token) and self.verified_at is None


class Subscription(models.Model):
    # The contract gives subscriptions integer ids: the primary key, always read through for_account.
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="webhook_subscriptions")
    event = models.CharField(max_length=64)
    # `all`, or `<kind>:<value>` (sender:TXTSMS, number:919..., keyword:12).
    identity = models.CharField(max_length=100, default="all")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="subscriptions")
    payload = models.JSONField(null=True, blank=True, default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "event", "identity", "webhook"], name="uniq_webhook_subscription"
            ),
        ]
        indexes = [models.Index(fields=["account", "event", "identity"])]

    def __str__(self):
        return f"{self.event} {self.identity} → {self.webhook_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


# Rows the worker may pick up (when due); the partial index below holds only these.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)


class Delivery(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=64)
    # Null for a per-message callback URL (Engage `dlr.url`).
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    subscription_id = models.BigIntegerField(null=True, blank=True)
    url = models.CharField(max_length=2000)
    # scheme://host:port, the unit of per-endpoint concurrency.
    endpoint = models.CharField(max_length=300)
    # Flat or {event, payload}: fixed when the delivery is created.
    wrapped = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    next_attempt_at = models.DateTimeField()
    # A claim: the worker that holds the row until `locked_until` (a crashed worker's rows come back).
    claim = models.UUIDField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["account", "status", "-created_at"]),
            models.Index(fields=["webhook", "-created_at"]),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending", "retrying"]),
                name="webhooks_delivery_due",
            ),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.url}"

    @property
    def can_replay(self):
        return self.status == DeliveryStatus.FAILED


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False)
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    method = models.CharField(max_length=4, default="POST")
    url = models.CharField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    success = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True)  # first RESPONSE_LOG_BYTES only

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["number", "id"]
        indexes = [models.Index(fields=["delivery", "number"])]

    def __str__(self):
        return f"#{self.number} {self.status_code or self.error}"
