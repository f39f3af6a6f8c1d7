"""Report data kept beside the message table: hourly rollups every dashboard and summary reads
(docs/reports.md). Rows are never edited by hand: `messaging.reports.rollups` maintains them in
bulk as messages change state, and rebuilds a range from the messages."""

import uuid

from django.db import models

from portal.core.tenancy import TenantQuerySet

# Upper bounds (seconds) of the delivery-latency buckets; the last bucket is open-ended.
LATENCY_EDGES = (5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)
LATENCY_FIELDS = tuple(f"latency_{i}" for i in range(len(LATENCY_EDGES) + 1))

# The key of a rollup row, in the order of the unique constraint (the upsert's conflict target).
DIMENSIONS = (
    "account_id",
    "hour",
    "day",
    "channel",
    "product_code",
    "sender",
    "template_id",
    "batch_id",
    "iso",
    "operator",
    "status",
    "status_code",
    "pending",
)
MEASURES = ("messages", "units", "cost", "refunds", "delivered_units", *LATENCY_FIELDS)


class MessageRollup(models.Model):
    """Messages of one account submitted in one hour (of the account's time zone) with the same
    channel, product, sender, template, batch (campaign), country, operator and outcome.

    `status` and `status_code` are the message's current ones, `pending` whether it is still
    waiting for its outcome (scheduled, queued, sent without a final receipt). `hour` is the
    instant the local hour began (unambiguous across DST changes), `day` the local date. Cost
    is what was charged, refunds what was given back; `latency_<n>` count delivered messages by
    time from submission to delivery (LATENCY_EDGES)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.DateTimeField()
    day = models.DateField()
    channel = models.CharField(max_length=20)
    product_code = models.CharField(max_length=10)
    sender = models.CharField(max_length=15)
    template_id = models.CharField(max_length=30)
    # The batch's id, not a foreign key: rollups outlive the messages (and batches) they count.
    batch_id = models.BigIntegerField()
    iso = models.CharField(max_length=2)
    operator = models.CharField(max_length=40, default="")  # the message's (messaging.operators)
    status = models.CharField(max_length=30)
    status_code = models.CharField(max_length=10)  # as long as Message.status_code (provider errors: 131047)
    pending = models.BooleanField()  # not final yet: its receipt may still come
    messages = models.BigIntegerField(default=0)
    units = models.BigIntegerField(default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    refunds = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    delivered_units = models.BigIntegerField(default=0)
    latency_0 = models.BigIntegerField(default=0)
    latency_1 = models.BigIntegerField(default=0)
    latency_2 = models.BigIntegerField(default=0)
    latency_3 = models.BigIntegerField(default=0)
    latency_4 = models.BigIntegerField(default=0)
    latency_5 = models.BigIntegerField(default=0)
    latency_6 = models.BigIntegerField(default=0)
    latency_7 = models.BigIntegerField(default=0)
    latency_8 = models.BigIntegerField(default=0)
    latency_9 = models.BigIntegerField(default=0)
    latency_10 = models.BigIntegerField(default=0)
    latency_11 = models.BigIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", *DIMENSIONS[1:]], name="uniq_rollup_key"),
        ]
        indexes = [
            models.Index(fields=["account", "day"], name="reports_rollup_account_day"),
            models.Index(fields=["account", "batch_id"], name="reports_rollup_account_batch"),
        ]

    def __str__(self):
        return f"{self.account_id} {self.hour:%Y-%m-%d %H:%M} {self.channel} {self.status or 'pending'}"


class RollupCheck(models.Model):
    """One run of the scheduled recount: the range compared and what differed (staff read it)."""

    started_at = models.DateTimeField(auto_now_add=True)
    range_start = models.DateTimeField()
    range_end = models.DateTimeField()
    keys_compared = models.PositiveIntegerField(default=0)
    differences = models.JSONField(default=list, blank=True)  # a sample of differing keys
    difference_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.difference_count} differences"


class ReportSettings(models.Model):
    """An account's report preferences: the delivery-rate alert (messaging.reports.alerts)."""

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="+")
    delivery_rate_threshold = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    alert_min_messages = models.PositiveIntegerField(default=100)
    # The last alert; another comes only after the rate recovered (`alert_active` cleared) or a day.
    alerted_at = models.DateTimeField(null=True, blank=True)
    alert_active = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()

    def __str__(self):
        return f"report settings of {self.account_id}"

    @classmethod
    def for_account(cls, account):
        return cls.objects.get_or_create(account=account)[0]


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


def export_path(job, filename):
    return f"exports/{job.account_id}/{job.uuid}.{job.format}"


class ExportJob(models.Model):
    """A report export written in the background (messaging.reports.exports): streamed to a
    file, with its row count and SHA-256, kept until `expires_at`."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    report = models.CharField(max_length=20, default="delivery")
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(default=dict, blank=True)  # as the report's form gave them (text)
    # The same request while one runs reuses it: (report, format, filters) hashed.
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows = models.PositiveBigIntegerField(default=0)
    expected_rows = models.PositiveBigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True)  # SHA-256 of the file
    size = models.PositiveBigIntegerField(default=0)
    file = models.FileField(upload_to=export_path, blank=True)
    email_to = models.EmailField(blank=True)  # announce the finished export to this address
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "request_hash", "status"], name="reports_export_dedup")]

    def __str__(self):
        return f"{self.report} {self.format} {self.uuid}"

    @property
    def in_progress(self):
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def percent(self):
        if self.status == ExportStatus.DONE:
            return 100
        if not self.expected_rows:
            return 0
        return min(99, round(100 * self.rows / self.expected_rows))

    @property
    def filename(self):
        return f"{self.report}-{self.created_at:%Y%m%d-%H%M}.{self.format}"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily (yesterday)"
    WEEKLY = "weekly", "Weekly (the last 7 days, on Mondays)"
    MONTHLY = "monthly", "Monthly (last month, on the 1st)"


class ScheduledReport(models.Model):
    """A delivery report e-mailed as CSV or XLSX on a schedule (messaging.reports.schedules)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=100)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    format = models.CharField(max_length=4, choices=ExportFormat.choices, default=ExportFormat.CSV)
    filters = models.JSONField(default=dict, blank=True)  # delivery-report filters other than dates
    recipients = models.JSONField(default=list)  # e-mail addresses
    pdf_summary = models.BooleanField(default=True)  # attach a PDF summary (messaging.reports.pdf_summary)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_export = models.ForeignKey(ExportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class RouteCost(models.Model):
    """What a supplier charges the platform per unit (SMS part, message) to one country, for one
    service or (blank) any: staff enter it, the per-route margins set it against the price
    customers were charged (messaging.reports.margins)."""

    supplier = models.CharField(max_length=30)  # as stored on each message (`Message.supplier`)
    iso = models.CharField(max_length=2)
    product_code = models.CharField(max_length=10, blank=True)  # blank: every service
    cost_per_unit = models.DecimalField(max_digits=12, decimal_places=4)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier", "iso", "product_code"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "iso", "product_code"], name="uniq_route_cost"),
        ]

    def __str__(self):
        return f"{self.supplier} {self.iso} {self.product_code or '*'} {self.cost_per_unit}"
