from django import forms

from accounts.models import Role
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
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "Production server"}))
    ip_whitelist = forms.CharField(
        required=False,
        label="IP whitelist",
        help_text="Optional. Addresses or CIDR ranges (IPv4 or IPv6), separated by commas or new lines. "
        "When set, the key works only from these addresses.",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "203.0.113.10, 198.51.100.0/24, 2001:db8::/32"}),
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        help_text="Optional. Leave empty for a key that does not expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


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
    email = forms.EmailField(label="Owner e-mail")
    password = forms.CharField(widget=forms.PasswordInput, label="Owner password", min_length=8)
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
