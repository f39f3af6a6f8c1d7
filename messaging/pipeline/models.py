"""Outbound messages of every channel: a batch per submission (the contract's `group_id`) and a
row per recipient, in one table (docs/architecture.md, "Message storage"). The app keeps its
original label (`sending`) and table names."""

import uuid

from django.db import models
from django.utils import timezone

from portal.core.tenancy import TenantQuerySet


class State(models.TextChoices):
    """Where a message is in the pipeline (the contract's `status` is separate)."""

    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Being handed to the supplier"
    SUBMITTED = "submitted", "Submitted to the supplier"
    FINAL = "final", "Final"
    REJECTED = "rejected", "Rejected before sending"


AWAITING = "AWAITING-DLR"
SCHEDULED = "SCHEDULED"


class Priority(models.IntegerChoices):
    HIGH = 0, "Transactional / OTP / push"
    BULK = 1, "Promotional / bulk"


class Batch(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the `group_id`
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="batches")
    api_key = models.ForeignKey("accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, default="api")
    product = models.ForeignKey("messaging.Product", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, db_default="sms")
    total = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    # Distinct recipients (refused ones included), counted from the request at accept time so the
    # campaign report never runs COUNT(DISTINCT mobile) over the batch; None for older batches.
    unique_recipients = models.PositiveIntegerField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    # SHA-256 of the request that used the key (portal.api.idempotency); blank before it existed.
    request_hash = models.CharField(max_length=64, blank=True, default="")
    # The first answer, replayed for a retried request with the same idempotency key.
    response = models.JSONField(default=dict, blank=True)
    # The submit time its message rows and refused numbers carry too (`submitted_at`): the status
    # pull finds a day's recipients through their batches.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "idempotency_key"], name="uniq_batch_idempotency"),
        ]

    def __str__(self):
        return str(self.uuid)


class Message(models.Model):
    # No single-column FK indexes: the composite ones below lead with these columns, and every
    # index costs time on a 100k-row COPY. The account is the batch's, copied for the tenant
    # filters: the database checks the batch reference and not this copy (each check is a lookup
    # per row at commit, 100,000 of them for a bulk send; the ORM still cascades deletes).
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="messages", db_index=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    index = models.PositiveIntegerField()  # 1-based position in the batch: id = "<group_id>:<index>"
    mobile = models.CharField(max_length=16)
    iso = models.CharField(max_length=2, blank=True)
    # The mobile operator of the number when it was accepted (messaging.operators), "" unknown.
    operator = models.CharField(max_length=40, db_default="", blank=True)
    sender = models.CharField(max_length=15)
    product_code = models.CharField(max_length=10)
    # Not in the SMS COPY column list: those rows take the database defaults.
    channel = models.CharField(max_length=20, db_default="sms")
    # What a channel sends beyond the text (a template and its parameters, media, buttons, ...).
    content = models.JSONField(db_default=models.Value("{}"), blank=True)
    # The canonical level reached (messaging.pipeline.status.Progress): receipts only raise it.
    progress = models.PositiveSmallIntegerField(db_default=0)
    text = models.TextField()
    encoding = models.CharField(max_length=4)
    length = models.PositiveIntegerField()
    units = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    charges = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    status = models.CharField(max_length=30, default=AWAITING)  # the contract's status (DLR vocabulary)
    status_code = models.CharField(max_length=10, blank=True)  # DLR code (000, 456) or provider error (131047)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.HIGH)
    custom = models.CharField(max_length=200, blank=True)
    flash = models.BooleanField(default=False)
    port = models.CharField(max_length=10, blank=True)
    template_id = models.CharField(max_length=30, blank=True)
    entity_id = models.CharField(max_length=30, blank=True)
    supplier = models.CharField(max_length=30, blank=True)
    supplier_message_id = models.CharField(max_length=100, blank=True)
    webhook_id = models.CharField(max_length=64, blank=True)
    # Engage push: where receipts go (`dlr.url`) and whether failures are reported too (`dlr.mask`).
    dlr_url = models.CharField(max_length=200, blank=True)
    dlr_mask = models.PositiveSmallIntegerField(default=1)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["batch_id", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="uniq_message_index")]
        indexes = [
            models.Index(fields=["account", "mobile"]),
            # The delivery report's order, keyset (submitted_at, id): a batch's rows share one
            # submitted_at, so without `id` in the key a page of a 100k-row batch sorts the batch.
            # It also serves every (account, submitted_at) range the one before it did.
            models.Index(fields=["account", "submitted_at", "id"], name="sending_msg_account_time"),
            models.Index(fields=["account", "custom"], condition=~models.Q(custom=""), name="sending_msg_custom"),
            # Receipts find messages by the supplier's id; rows not yet submitted stay out of it.
            models.Index(
                fields=["supplier", "supplier_message_id"],
                condition=~models.Q(supplier=""),
                name="sending_msg_supplier",
            ),
            # The sweeper and the scheduler look only at messages still in flight.
            models.Index(
                fields=["state", "priority", "id"],
                condition=models.Q(state__in=["scheduled", "queued", "submitting", "submitted"]),
                name="sending_msg_inflight",
            ),
        ]

    def __str__(self):
        return self.public_id

    @property
    def public_id(self):
        return f"{self.batch.uuid}:{self.index}"


class RefusedNumbers(models.Model):
    """Recipients of one batch that were refused before pricing (no valid number, a destination
    the account cannot send to), kept compactly instead of as a message row each: one row per
    reason and content for up to CHUNK of them, their positions (`indexes`), numbers and, where
    any is set, destinations and references in parallel lists. Everything else a status record
    shows is the row's (status, sender, service, parts, length) or the batch's (`group_id`, the
    submit time). The status pull, the report and the batch page read these beside the message rows
    (`messaging.pipeline.outcomes`); dispatch, receipts and the sweeper never need to, because these
    recipients are final when the request is answered. docs/sending.md, "Refused numbers"."""

    CHUNK = 10_000

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="refused_numbers", db_index=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False)
    status = models.CharField(max_length=30)  # the channel's refusal status, e.g. INV-NUMBER, NOTALLOWED
    status_code = models.CharField(max_length=10, blank=True)  # as long as Message.status_code
    sender = models.CharField(max_length=15)
    product_code = models.CharField(max_length=10)
    units = models.PositiveSmallIntegerField()
    length = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()  # the batch's submit time, as its message rows have it
    first_index = models.PositiveIntegerField()
    last_index = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    indexes = models.JSONField(default=list)  # ascending positions in the batch (1-based)
    mobiles = models.JSONField(default=list)  # the number as given (cut to 16 characters) or E.164
    isos = models.JSONField(default=list)  # per entry, or [] when no entry has a destination
    customs = models.JSONField(default=list)  # per entry, or [] when no entry has a reference

    objects = TenantQuerySet.as_manager()

    class Meta:
        db_table = "sending_refused_numbers"
        ordering = ["batch_id", "first_index"]
        indexes = [
            models.Index(fields=["batch", "first_index"], name="sending_refused_batch"),
            models.Index(fields=["account", "submitted_at"], name="sending_refused_time"),
        ]

    def __str__(self):
        return f"{self.count} x {self.status} in batch {self.batch_id}"


class SimulatedSubmission(models.Model):
    """What the built-in carrier simulator has accepted, keyed by our message id: like a supplier
    that deduplicates on the client's reference, it accepts a resubmitted message once and answers
    with the id it gave the first time. Written outside the sender's transaction (the carrier's
    memory survives our crashes); `attempts` shows how often a message was handed over."""

    message_id = models.BigIntegerField(unique=True)
    supplier_message_id = models.CharField(max_length=100)
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.message_id} -> {self.supplier_message_id}"


class SupplierConnector(models.Model):
    """A supplier connection staff configured: which connector kind carries a channel's traffic
    and at what rate. With none configured for a channel, its adapter's default kind (the
    built-in simulator) is used at the CONNECTOR_RATES rate."""

    name = models.SlugField(max_length=30, unique=True)  # stored on each message as `supplier`
    channel = models.CharField(max_length=20)
    kind = models.CharField(max_length=30)  # a registered connector kind (messaging.pipeline.connectors)
    rate_per_second = models.PositiveIntegerField(default=1000)
    enabled = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)  # the channel's connector when routing names none
    settings = models.JSONField(default=dict, blank=True)  # kind-specific (URLs, credentials' names)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel"], condition=models.Q(is_default=True), name="uniq_default_connector_per_channel"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.channel}, {self.kind})"


class RetentionRun(models.Model):
    """One step of message retention (`messaging.pipeline.retention`): a month of messages
    dropped, or message bodies blanked up to a time. The latest drop's `before` is the retention
    horizon: no message submitted earlier is left, so rollups before it are never recounted."""

    class Kind(models.TextChoices):
        DROP = "drop", "Messages dropped"
        BODIES = "bodies", "Bodies blanked"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    before = models.DateTimeField()  # messages submitted earlier were dropped (or blanked)
    since = models.DateTimeField(null=True, blank=True)  # bodies: where the previous run stopped
    partition = models.CharField(max_length=63, blank=True)  # the month's table, on PostgreSQL
    rows = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)  # the dropped month's size on disk (PostgreSQL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "sending_retention_run"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "before"], name="sending_retention_kind")]

    def __str__(self):
        return f"{self.kind} before {self.before:%Y-%m-%d}"
