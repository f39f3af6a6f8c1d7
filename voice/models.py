"""Voice: numbers, flows, sounds, calls and their recordings, conferences, prices, VMN logs.

Calls carry their whole CDR (statuses in the catalogued vocabulary beside the raw SIP code) and
their money: `reserved` is debited when the call is accepted (the maximum duration at the
price), `charges` is what the call cost once final, and `settled` flips exactly once, in the
transaction that refunds `reserved - charges` (services/billing.py).
"""

import uuid

from django.db import models

from portal.core.tenancy import TenantQuerySet


class NumberKind(models.TextChoices):
    BRIDGE = "bridge", "Bridge (caller ID)"
    VMN = "vmn", "Virtual number (inbound)"


class Connector(models.TextChoices):
    SIMULATOR = "simulator", "Simulator"
    SIP = "sip", "SIP"


class VoiceNumber(models.Model):
    """A number the account rents: a bridge places calls; a VMN receives them (and keyword SMS)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="voice_numbers")
    number = models.CharField(max_length=16, unique=True)  # E.164 digits
    kind = models.CharField(max_length=10, choices=NumberKind.choices, default=NumberKind.BRIDGE)
    connector = models.CharField(max_length=12, choices=Connector.choices, default=Connector.SIMULATOR)
    inbound_flow = models.ForeignKey("voice.Flow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    concurrency = models.PositiveSmallIntegerField(default=50)  # calls in progress at once (bulk)
    calls_per_second = models.PositiveSmallIntegerField(default=20)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return self.number


class Flow(models.Model):
    """An IVR journey; the API addresses it by `id` (the catalog's numeric `flow_id`)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="voice_flows")
    name = models.CharField(max_length=100)
    definition = models.JSONField()
    variables = models.JSONField(default=list)  # the flow variables a call must supply
    generated = models.BooleanField(default=False)  # made by outgoing/tts, hidden from the list
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class Sound(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="voice_sounds")
    name = models.CharField(max_length=100)
    original_name = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=255)  # telephony WAV under DATA_DIR/voice/sounds
    duration_ms = models.PositiveIntegerField(default=0)
    sample_rate = models.PositiveIntegerField(default=8000)
    waveform = models.JSONField(default=list)  # peaks 0..100 for the page's picture
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class CallGroup(models.Model):
    """One bulk request (`group_id`)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="voice_groups")
    name = models.CharField(max_length=100, blank=True)
    total = models.PositiveIntegerField(default=0)
    reserved = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    # The composer's sends: numbers refused before calling, by reason (status -> [numbers]), so
    # "call the ones who didn't get it" can reach them too. The API's bulk refuses whole requests.
    refused = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    def __str__(self):
        return self.name or str(self.uuid)


class CallStatus:
    """The catalogued call statuses (final) and the in-progress ones before them."""

    QUEUED = "queued"
    RINGING = "RINGING"
    IN_PROGRESS = "INPROGRESS"
    ANSWER = "ANSWER"
    BUSY = "BUSY"
    NOANSWER = "NOANSWER"
    CANCEL = "CANCEL"
    CONGESTION = "CONGESTION"
    CHANUNAVAIL = "CHANUNAVAIL"
    FINAL = (ANSWER, BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL)
    LIVE = (QUEUED, RINGING, IN_PROGRESS)


class Source(models.TextChoices):
    OUTGOING = "OBD", "Outgoing"
    CLICK_TO_CALL = "C2C", "Click to call"
    INBOUND = "IN", "Inbound"
    CONFERENCE = "CONF", "Conference"


class Call(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="voice_calls")
    group = models.ForeignKey(CallGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="calls")
    source = models.CharField(max_length=4, choices=Source.choices, default=Source.OUTGOING)
    connector = models.CharField(max_length=12, default=Connector.SIMULATOR)
    bridge = models.CharField(max_length=16)
    call_from = models.CharField(max_length=16, blank=True)  # click-to-call's first leg
    to = models.CharField(max_length=16)
    iso = models.CharField(max_length=2, blank=True)
    flow = models.ForeignKey(Flow, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    audio = models.CharField(max_length=1000, blank=True)  # a sound id or URL (no flow)
    variables = models.JSONField(default=dict, blank=True)
    options = models.JSONField(null=True, blank=True)
    name = models.CharField(max_length=100, blank=True)
    foreign_id = models.CharField(max_length=100, blank=True)  # mid / cid
    webhook_id = models.CharField(max_length=64, blank=True)
    retry_interval = models.PositiveSmallIntegerField(default=0)  # minutes
    attempts = models.PositiveSmallIntegerField(default=1)
    attempt = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)  # a retry waits until then (released by the sweeper)
    record = models.BooleanField(default=False)
    max_seconds = models.PositiveIntegerField(default=600)
    conference = models.ForeignKey(
        "voice.Conference", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    status = models.CharField(max_length=12, default=CallStatus.QUEUED, db_index=True)
    status1 = models.CharField(max_length=12, blank=True)  # click-to-call: each leg's status
    status2 = models.CharField(max_length=12, blank=True)
    sip_code = models.PositiveSmallIntegerField(null=True, blank=True)
    dtmf = models.CharField(max_length=100, blank=True)
    hangup_by = models.CharField(max_length=10, blank=True)
    start_at = models.DateTimeField(null=True, blank=True)
    answer_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(default=0)  # seconds answered (all legs' talk for c2c leg 1)
    duration2 = models.PositiveIntegerField(default=0)  # click-to-call: second leg seconds
    billing = models.PositiveIntegerField(default=0)  # billed seconds after pulse rounding, all legs
    pulse = models.PositiveSmallIntegerField(default=60)
    rate = models.DecimalField(max_digits=12, decimal_places=4, default=0)  # per minute
    reserved = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    charges = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    settled = models.BooleanField(default=False)
    location = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=8, blank=True)
    provider = models.CharField(max_length=8, blank=True)
    notes = models.CharField(max_length=255, blank=True)
    sms_sent = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["settled", "status"]),
        ]

    def __str__(self):
        return f"{self.to} {self.status}"

    @property
    def is_final(self):
        return self.status in CallStatus.FINAL


class Recording(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="voice_recordings")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="recordings")
    path = models.CharField(max_length=255)
    duration = models.PositiveIntegerField(default=0)  # seconds
    agent = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"recording of {self.call_id}"


class Conference(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="voice_conferences")
    name = models.CharField(max_length=100, blank=True)
    number = models.CharField(max_length=16, blank=True)  # the dial-in number
    moderator_pin = models.CharField(max_length=8)
    participant_pin = models.CharField(max_length=8)
    max_people = models.PositiveSmallIntegerField(default=10)
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number", "moderator_pin"], name="uniq_conference_moderator_pin"),
            models.UniqueConstraint(fields=["number", "participant_pin"], name="uniq_conference_participant_pin"),
        ]

    def __str__(self):
        return self.name or self.number


class VoicePrice(models.Model):
    """Per-minute rate by country and service; an account's row overrides the default (account null)."""

    account = models.ForeignKey("accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    iso = models.CharField(max_length=2)
    country_name = models.CharField(max_length=100)
    calling_code = models.PositiveSmallIntegerField()
    service = models.CharField(max_length=8, default="VOC")
    sub_service = models.CharField(max_length=8, default="VOI")
    service_name = models.CharField(max_length=60, default="Voice Flow")
    rate = models.DecimalField(max_digits=12, decimal_places=4)  # per minute
    pulse = models.PositiveSmallIntegerField(default=60)  # seconds
    currency = models.CharField(max_length=3, default="INR")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["iso", "service", "sub_service"]
        constraints = [
            models.UniqueConstraint(fields=["account", "iso", "service", "sub_service"], name="uniq_voice_price"),
            models.UniqueConstraint(
                fields=["iso", "service", "sub_service"],
                condition=models.Q(account__isnull=True),
                name="uniq_default_voice_price",
            ),
        ]

    def __str__(self):
        return f"{self.iso} {self.service}/{self.sub_service} {self.rate}"


class VoiceSettings(models.Model):
    """Per account: the local hours calls may be placed in."""

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="voice_settings")
    calling_start = models.TimeField(default="09:00")
    calling_end = models.TimeField(default="21:00")
    timezone = models.CharField(max_length=40, default="Asia/Kolkata")

    objects = TenantQuerySet.as_manager()

    def __str__(self):
        return f"{self.calling_start}-{self.calling_end} {self.timezone}"


class VmnLog(models.Model):
    """A keyword SMS (or missed call) received on a virtual number."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="vmn_logs")
    mobile = models.CharField(max_length=16)
    number = models.CharField(max_length=16)
    first_keyword = models.CharField(max_length=40, blank=True)
    second_keyword = models.CharField(max_length=40, blank=True)
    body = models.TextField(blank=True)
    flow = models.ForeignKey(Flow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    location = models.CharField(max_length=60, blank=True)
    location_code = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=60, blank=True)
    provider = models.CharField(max_length=60, blank=True)
    # The carrier's id of the SMS: a retried delivery of the same message is logged once.
    message_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["number", "message_id"], condition=~models.Q(message_id=""), name="one_vmn_log_per_message"
            )
        ]

    def __str__(self):
        return f"{self.mobile} -> {self.number}"
