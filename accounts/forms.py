from django import forms

from accounts import scopes as key_scopes
from accounts.models import Role
from portal.api.scopes import Scope
from portal.pages import PageForm


class LoginForm(PageForm):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TwoFactorForm(PageForm):
    code = forms.CharField(
        max_length=20,
        label="Authentication code",
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class ApiKeyForm(PageForm):
    """A new key: its name, what it may do (a preset or chosen scopes), where from, until when.
    Only the scopes the creator's role may grant are offered (`grantable`)."""

    ACCESS_HELP = {
        "full": "everything your role allows",
        "send": "send messages; read nothing",
        "read": "read everything; change nothing",
        "otp": "Engage push only, one message per request",
        "custom": "tick the scopes below",
    }

    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "Production server"}))
    access = forms.ChoiceField(label="Access", initial="full", required=False, widget=forms.RadioSelect)
    scopes = forms.MultipleChoiceField(
        required=False,
        label="Scopes",
        widget=forms.CheckboxSelectMultiple,
        help_text="Used with “Choose scopes”. A key never does more than its holder's role allows, "
        "even if the role changes later.",
    )
    ip_whitelist = forms.CharField(
        required=False,
        label="IP whitelist",
        help_text="Optional. Addresses or CIDR ranges (IPv4 or IPv6), separated by commas or new lines; "
        "no ports. When set, the key works only from these addresses.",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "203.0.113.10, 198.51.100.0/24, 2001:db8::/32"}),
    )
    confirm_wide_ranges = forms.BooleanField(
        required=False,
        label="Allow ranges wider than /8 (IPv4) or /32 (IPv6)",
        help_text="Such a range lets a very large part of the internet use the key; /0 lets everyone.",
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        help_text="Optional. Leave empty for a key that does not expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, grantable=key_scopes.ALL_SCOPES, **kwargs):
        super().__init__(*args, **kwargs)
        grantable = set(grantable)
        self.fields["scopes"].choices = [(v, label) for v, label in Scope.choices if v in grantable]
        presets = [p for p, names in key_scopes.PRESETS.items() if p == "full" or set(names) <= grantable]
        self.fields["access"].choices = [
            (p, f"{key_scopes.PRESET_LABELS[p]}: {self.ACCESS_HELP[p]}") for p in [*presets, "custom"]
        ]

    def clean(self):
        data = super().clean()
        access = data.get("access") or "full"
        if access == "custom":
            if not data.get("scopes"):
                self.add_error("scopes", "Choose at least one scope.")
        elif access == "full":
            data["scopes"] = None  # the service fills in what the creator may grant
        else:
            data["scopes"] = list(key_scopes.PRESETS[access])
        return data


class InviteForm(PageForm):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DEVELOPER)


class RoleForm(PageForm):
    role = forms.ChoiceField(choices=Role.choices)


class CreditAdjustmentForm(PageForm):
    direction = forms.ChoiceField(choices=[("add", "Add credits"), ("deduct", "Deduct credits")])
    amount = forms.DecimalField(min_value=0.0001, max_digits=16, decimal_places=4)
    reason = forms.CharField(max_length=255)


class TransferForm(PageForm):
    amount = forms.DecimalField(min_value=0.0001, max_digits=16, decimal_places=4)
    notes = forms.CharField(max_length=255, required=False)


class ChildCustomerForm(PageForm):
    name = forms.CharField(max_length=200, label="Company name")
    email = forms.EmailField(
        label="Owner e-mail", help_text="We e-mail the owner an invitation; they choose their own password."
    )
    opening_credits = forms.DecimalField(
        required=False,
        min_value=0.0001,
        max_digits=16,
        decimal_places=4,
        help_text="Optional. Moved from your own balance.",
    )


class RateLimitForm(PageForm):
    rate_limit = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1_000_000,
        label="API requests per minute per key",
        help_text="Leave empty for the platform default.",
    )


class StaffCustomerForm(ChildCustomerForm):
    is_reseller = forms.BooleanField(required=False, label="Reseller account (can have customers of its own)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opening_credits"].help_text = "Optional. Added as a top-up."
