from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Account, ApiKey, AuditEvent, LedgerEntry, Membership, User, Wallet


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "totp_enabled", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "mobile")}),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser", "totp_enabled")}),
        ("Permissions", {"fields": ("groups", "user_permissions")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["totp_enabled"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "username", "parent", "is_reseller", "is_active", "created_at"]
    search_fields = ["name", "username", "email"]
    list_filter = ["is_reseller", "is_active"]
    inlines = [MembershipInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "account", "created_at", "expires_at", "revoked_at", "last_used_at"]
    search_fields = ["name", "prefix", "account__username"]
    readonly_fields = ["key_hash", "prefix", "last_used_at", "last_used_ip"]


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    # Balances change only through the credits service so the ledger stays complete.
    list_display = ["account", "product_code", "balance", "postpaid"]
    readonly_fields = ["balance"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "kind", "amount", "balance_after", "reason"]
    list_filter = ["kind"]
    search_fields = ["account__username", "reason", "reference"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "actor_email", "action", "target", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_email", "target", "account__username"]

    def has_change_permission(self, request, obj=None):
        return False
