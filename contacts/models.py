"""Contacts ("subscribers"), their identifiers, tags, segments and per-channel subscriptions.

Every customer-owned row carries `account` and is read through `TenantQuerySet.for_account`. The two link
tables (ContactTag, SegmentMember) are reached only through a scoped parent, so they carry no account column
of their own: that keeps bulk imports and segment joins one narrow row per link.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from portal.core.tenancy import TenantQuerySet


class Gender(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"


class IdentifierType(models.TextChoices):
    """How a contact can be reached. `phone` is the mobile number (E.164 digits, no "+")."""

    PHONE = "phone", "Mobile"
    EMAIL = "email", "E-mail"
    WHATSAPP = "whatsapp", "WhatsApp"
    RCS = "rcs", "RCS"
    VIBER = "viber", "Viber"
    CUSTOM = "custom", "Custom id"


# Identifier types whose value is a phone number (normalised the same way as the send path's numbers).
NUMBER_TYPES = frozenset({IdentifierType.PHONE, IdentifierType.WHATSAPP, IdentifierType.RCS, IdentifierType.VIBER})


class SubscriptionChannel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    RCS = "rcs", "RCS"
    VIBER = "viber", "Viber"
    VOICE = "voice", "Voice"
    EMAIL = "email", "E-mail"


class Contact(models.Model):
    # No index of its own (uniq_contact_identity and contact_account_id both lead with the account) and no
    # database FK check per row: see "Foreign keys" in docs/contacts.md.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="contacts", db_constraint=False, db_index=False
    )
    identity = models.CharField(max_length=255)  # unique per account, no spaces
    first_name = models.CharField(max_length=100, blank=True, null=True)
    middle_name = models.CharField(max_length=100, blank=True, null=True)
    last_name = models.CharField(max_length=100, blank=True, null=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True, null=True)
    birth_date = models.DateField(blank=True, null=True)
    company = models.CharField(max_length=255, blank=True, null=True)
    country = models.CharField(max_length=100, blank=True, null=True)
    region = models.CharField(max_length=100, blank=True, null=True)
    city = models.CharField(max_length=100, blank=True, null=True)
    locality = models.CharField(max_length=100, blank=True, null=True)
    postal_code = models.CharField(max_length=20, blank=True, null=True)
    # Free key/values ({"membership": "platinum"}); segment rules query them in SQL.
    attributes = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField("Tag", through="ContactTag", related_name="contacts", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["account", "identity"], name="uniq_contact_identity")]
        indexes = [
            models.Index(fields=["account", "-id"], name="contact_account_id"),
            # jsonb_path_ops serves `attributes @> {...}` (equality rules) for any key.
            GinIndex(fields=["attributes"], name="contact_attributes", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self):
        return self.identity

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class Identifier(models.Model):
    """One address of a contact. A value belongs to one contact of the account per type."""

    # Bulk imports write millions of these: no database FK check per row (see "Foreign keys" in
    # docs/contacts.md; Django still cascades deletes) and no account index (uniq_identifier_value leads with it).
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="contact_identifiers",
        db_constraint=False,
        db_index=False,
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identifiers", db_constraint=False)
    type = models.CharField(max_length=10, choices=IdentifierType.choices)
    value = models.CharField(max_length=255)
    # The contact's `phone` / `email` of the API; without one, its oldest identifier of the type is used.
    # A database default, so bulk writers (imports) may leave the column out.
    is_primary = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "type", "value"], name="uniq_identifier_value"),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="identifier_account_id")]

    def __str__(self):
        return f"{self.type}:{self.value}"


class Tag(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="contact_tags")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="uniq_tag_name")]

    def __str__(self):
        return self.name


class ContactTag(models.Model):
    # As Identifier: no per-row FK check (imports write these in bulk) and no single-column indexes,
    # which uniq_contact_tag (contact, tag) and contacttag_tag_contact (tag, contact) already cover.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="tag_links", db_constraint=False, db_index=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="contact_links", db_constraint=False, db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "tag"], name="uniq_contact_tag")]
        # Tag rules look contacts up by tag: (tag, contact) answers them from the index alone.
        indexes = [models.Index(fields=["tag", "contact"], name="contacttag_tag_contact")]

    def __str__(self):
        return f"{self.contact_id}:{self.tag_id}"


class SegmentType(models.TextChoices):
    DYNAMIC = "dynamic", "Dynamic (rules)"
    STATIC = "static", "Static (chosen contacts)"


class TagOperator(models.TextChoices):
    ANY = "any", "Any of"
    ALL = "all", "All of"


class Segment(models.Model):
    """A recipient group. Dynamic: tag lists + `rules` evaluated in SQL. Static: explicit members.

    `positive_tags` / `negative_tags` hold tag ids (the API shows names), so renaming a tag keeps segments
    working; a deleted tag drops out of the lists. `rules` is the rule tree described in docs/contacts.md:
    {"match": "all"|"any", "conditions": [{"field": ..., "op": ..., "value": ...}, ...]}.
    """

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=SegmentType.choices, default=SegmentType.DYNAMIC)
    positive_tags = models.JSONField(default=list, blank=True)
    positive_tags_operator = models.CharField(max_length=3, choices=TagOperator.choices, default=TagOperator.ANY)
    negative_tags = models.JSONField(default=list, blank=True)
    negative_tags_operator = models.CharField(max_length=3, choices=TagOperator.choices, default=TagOperator.ANY)
    rules = models.JSONField(default=dict, blank=True)
    members = models.ManyToManyField(Contact, through="SegmentMember", related_name="static_segments", blank=True)
    # Last count taken (pages show it without re-evaluating every segment); refreshed on save and on view.
    member_count = models.PositiveIntegerField(default=0)
    counted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="segment_account_id")]

    def __str__(self):
        return self.name


class SegmentMember(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="member_links")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="segment_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "contact"], name="uniq_segment_member")]

    def __str__(self):
        return f"{self.segment_id}:{self.contact_id}"


class SubscriptionStatus(models.TextChoices):
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Subscription(models.Model):
    """A contact's consent on one channel for one of its identifiers.

    No row means "not opted out": a contact with a mobile number receives SMS until unsubscribed. An
    unsubscribed number row is mirrored into the channel's opt-outs (messaging.consent), which is what
    the send path scrubs against.
    """

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="contact_subscriptions")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="subscriptions")
    identifier = models.ForeignKey(Identifier, on_delete=models.CASCADE, related_name="subscriptions")
    channel = models.CharField(max_length=10, choices=SubscriptionChannel.choices)
    # The channel account the consent is for (a WhatsApp business number, a sender...); defaults to the channel.
    channel_id = models.CharField(max_length=100)
    status = models.CharField(max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.SUBSCRIBED)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "identifier", "channel", "channel_id"], name="uniq_subscription"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="subscription_account_id"),
            models.Index(fields=["account", "channel", "status"], name="subscription_channel_status"),
        ]

    def __str__(self):
        return f"{self.contact_id} {self.channel}/{self.channel_id}: {self.status}"

    @property
    def is_subscribed(self):
        return self.status == SubscriptionStatus.SUBSCRIBED
