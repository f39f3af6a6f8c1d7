"""People, tenants, API keys, wallets and the audit trail."""

import ipaddress
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from accounts.permissions import Permission, permission_named
from portal.api.scopes import Scope
from portal.core.tenancy import TenantQuerySet


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with e-mail; staff users are platform employees."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    mobile = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # TOTP two-factor: the secret is set during setup, enabled once a code is confirmed.
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_enabled = models.BooleanField(default=False)
    totp_last_step = models.BigIntegerField(default=0)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email


class RecoveryCode(models.Model):
    """A one-time 2FA recovery code; only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"recovery code of {self.user_id}"


class Account(models.Model):
    """A customer (tenant). A reseller account owns child accounts."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    # The catalog addresses child accounts by `username` (add credits).
    username = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_reseller = models.BooleanField(default=False)
    # The brand the account was signed up under (a reseller's own brand covers its subtree
    # without this; accounts.brands.resolve.brand_for_account). Null: inherited or the platform's.
    brand = models.ForeignKey("brands.Brand", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)
    email = models.EmailField(blank=True)
    mobile = models.CharField(max_length=20, blank=True)
    # Requests per minute per API key; null means the platform default.
    api_rate_limit = models.PositiveIntegerField(null=True, blank=True)
    # The customer's low-balance alert: a debit taking the general balance below it alerts once
    # (accounts/services/balance_alerts.py); null is off.
    low_balance_threshold = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    # An IANA zone name: reports count days and hours in it (messaging.reports).
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def rate_limit(self):
        return self.api_rate_limit or settings.API_RATE_LIMIT_PER_MINUTE


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    DEVELOPER = "developer", "Developer"
    ANALYST = "analyst", "Analyst"


# What each role may do, in the one vocabulary of accounts.permissions.Permission (pages and
# templates check these names; an unknown one fails loudly there).
ROLE_PERMISSIONS = {
    Role.OWNER: frozenset(Permission),  # everything, the audit log included
    Role.ADMIN: frozenset(
        {
            Permission.MANAGE_TEAM,
            Permission.MANAGE_KEYS,
            Permission.MANAGE_CREDITS,
            Permission.SEND,
            Permission.MANAGE_BRAND,
        }
    ),
    Role.DEVELOPER: frozenset({Permission.MANAGE_KEYS, Permission.SEND}),
    Role.ANALYST: frozenset(),  # read-only: every page that needs no permission
}


class MembershipQuerySet(TenantQuerySet):
    pass


class Membership(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.DEVELOPER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="uniq_membership")]
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.user} @ {self.account} ({self.role})"

    def can(self, permission):
        """Whether this member's role grants `permission`; UnknownPermission for a name not in the vocabulary."""
        return permission_named(permission) in ROLE_PERMISSIONS.get(self.role, frozenset())


class Invitation(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.DEVELOPER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"invitation of {self.email} to {self.account_id}"

    @property
    def is_pending(self):
        return not self.accepted_at and not self.revoked_at and self.expires_at > timezone.now()


class ApiKeyQuerySet(TenantQuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


def _revoke_held_keys(collector, field, sub_objs, using):
    """on_delete of `ApiKey.holder`: a deleted person's keys are revoked. Setting the holder to
    NULL alone would turn them into account keys, bounded like an owner's."""
    collector.add_field_update(field, None, sub_objs)
    collector.add_field_update(ApiKey._meta.get_field("revoked_at"), timezone.now(), sub_objs)


def all_scopes():
    """Default of `ApiKey.scopes`: every scope (the holder's role still bounds it)."""
    return list(Scope.values)


class ApiKey(models.Model):
    """A long-lived API access token. Only a SHA-256 of the secret is stored.

    `scopes` say what the key may be used for (portal.api.scopes); `holder` is the member whose
    role bounds it at every request (accounts.scopes): its creator, or the member it was
    transferred to when the creator left. A key whose holder is no longer a member is refused;
    a key without a holder was created by the platform for the account.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    ip_whitelist = models.JSONField(default=list, blank=True)
    scopes = models.JSONField(default=all_scopes, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    holder = models.ForeignKey(User, null=True, blank=True, on_delete=_revoke_held_keys, related_name="held_api_keys")
    transferred_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        if self.revoked_at:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def status_label(self):
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    def allows_ip(self, ip):
        if not self.ip_whitelist:
            return True
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        for entry in self.ip_whitelist:
            net = ipaddress.ip_network(entry, strict=False)
            if net.version == 6 and net.network_address.ipv4_mapped and net.prefixlen >= 96:
                # stored before entries were normalised: ::ffff:a.b.c.d/n means a.b.c.d/(n-96)
                net = ipaddress.ip_network(f"{net.network_address.ipv4_mapped}/{net.prefixlen - 96}", strict=False)
            if address.version == net.version and address in net:
                return True
        return False


class Wallet(models.Model):
    """Credits of one account. `product_code` is blank for the general wallet; the v2 catalog keeps
    credits per product (they cannot move between products), so later issues add one per product."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="wallets")
    product_code = models.CharField(max_length=10, blank=True, default="")
    balance = models.DecimalField(max_digits=16, decimal_places=4, default=Decimal("0"))
    postpaid = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "product_code"], name="uniq_wallet_product"),
            models.CheckConstraint(
                condition=models.Q(balance__gte=0) | models.Q(postpaid=True),
                name="wallet_balance_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.product_code or 'general'}: {self.balance}"


class LedgerKind(models.TextChoices):
    TOP_UP = "topup", "Top-up"
    ADJUSTMENT = "adjustment", "Staff adjustment"
    TRANSFER_IN = "transfer_in", "Transfer from parent"
    TRANSFER_OUT = "transfer_out", "Transfer to child"
    DEBIT = "debit", "Charge"
    REFUND = "refund", "Refund"


# Movements a person made for the account (staff top-ups and adjustments, reseller transfers):
# each has a PDF receipt (accounts/receipts.py).
RECEIPT_KINDS = (LedgerKind.TOP_UP, LedgerKind.ADJUSTMENT, LedgerKind.TRANSFER_IN, LedgerKind.TRANSFER_OUT)


class AppendOnlyError(Exception):
    pass


class LedgerEntry(models.Model):
    """One movement of credits. Append-only: rows are never updated or deleted."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ledger")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=LedgerKind.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=4)
    balance_after = models.DecimalField(max_digits=16, decimal_places=4)
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The key of an API call that moved the credits (`actor` is then the key's holder).
    api_key = models.ForeignKey("ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set when a caller supplies one; makes a retried movement a no-op.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    # SHA-256 of the API request that used the key (portal.api.idempotency): the same key with
    # another request is refused. Blank for internal keys and movements without a key (a database
    # default too: the one-statement debit inserts without naming it).
    request_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]
        constraints = [models.UniqueConstraint(fields=["account", "idempotency_key"], name="uniq_ledger_idempotency")]

    def __str__(self):
        return f"{self.kind} {self.amount} -> {self.balance_after}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")

    @property
    def has_receipt(self):
        return self.kind in RECEIPT_KINDS


class AuditEvent(models.Model):
    """A security-relevant action: who did what, from where, when."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    # The key of an API call (`actor` is then the key's holder, the member it acts for).
    api_key = models.ForeignKey("ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=50, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"
