from urllib.parse import urlencode

from django import forms
from django.core.validators import validate_email

from messaging.reports import summary
from messaging.reports.delivery import ORDERS, OUTCOMES
from messaging.reports.models import ExportFormat, Frequency
from portal.core.phone_numbers import digits_of
from portal.pages import PageForm


class DeliveryFilterForm(PageForm):
    """The delivery report's filters; every field optional. Dates are the account's local days
    (default: today)."""

    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(required=False, choices=[("", "Any outcome")] + [(k, k.title()) for k in OUTCOMES])
    status = forms.CharField(required=False, max_length=30)
    channel = forms.CharField(required=False, max_length=20)
    sender = forms.CharField(required=False, max_length=15)
    product_code = forms.CharField(required=False, max_length=10, label="Service")
    template_id = forms.CharField(required=False, max_length=30, label="Template")
    iso = forms.CharField(required=False, max_length=2, label="Country")
    operator = forms.CharField(required=False, max_length=40)
    campaign = forms.UUIDField(required=False, label="Campaign (group id)")
    mobile = forms.CharField(required=False, max_length=20, label="Recipient")
    custom = forms.CharField(required=False, max_length=200, label="Custom id")
    order = forms.ChoiceField(required=False, choices=[(k, k.title()) for k in ORDERS], label="Sort")

    def __init__(self, account, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must not be before the start date.")
        if data.get("iso"):
            data["iso"] = data["iso"].upper()
        if data.get("mobile"):
            data["mobile"] = digits_of(data["mobile"]) or data["mobile"]
        return data

    def _data(self):
        if not self.is_bound:
            return {}
        return self.cleaned_data if self.is_valid() else {}

    def filters(self):
        data = dict(self._data())
        today = summary.today(self.account)
        since = data.get("since") or (data.get("until") if data.get("until") else today)
        until = data.get("until") or max(since, today)
        data["since"], data["until"] = summary.day_bounds(self.account, since, until)
        return data

    def sort_order(self):
        return self._data().get("order") or "newest"

    def query_without_cursor(self):
        if not self.is_bound:
            return ""
        return urlencode([(k, v) for k, v in self.data.items() if k != "after" and v])


class ThresholdForm(PageForm):
    delivery_rate_threshold = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=1,
        label="Tell me when the delivery rate falls below (%)",
        help_text="Checked hourly over the last 24 hours. Leave empty for no alert.",
    )
    alert_min_messages = forms.IntegerField(
        min_value=1, max_value=10_000_000, initial=100, label="Only once at least this many messages have an outcome"
    )

    def __init__(self, *args, instance, **kwargs):
        initial = {
            "delivery_rate_threshold": instance.delivery_rate_threshold,
            "alert_min_messages": instance.alert_min_messages,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.instance = instance

    def save(self):
        self.instance.delivery_rate_threshold = self.cleaned_data["delivery_rate_threshold"]
        self.instance.alert_min_messages = self.cleaned_data["alert_min_messages"]
        self.instance.save(update_fields=["delivery_rate_threshold", "alert_min_messages"])
        return self.instance


class ScheduleForm(PageForm):
    name = forms.CharField(max_length=100)
    frequency = forms.ChoiceField(choices=Frequency.choices)
    format = forms.ChoiceField(choices=ExportFormat.choices)
    pdf_summary = forms.BooleanField(
        required=False, initial=True, label="Attach a PDF summary", help_text="Totals, delivery times and failures."
    )
    recipients = forms.CharField(
        max_length=1000, help_text="E-mail addresses, separated by commas (at most 10).", widget=forms.TextInput
    )
    outcome = forms.ChoiceField(required=False, choices=[("", "Any outcome")] + [(k, k.title()) for k in OUTCOMES])
    sender = forms.CharField(required=False, max_length=15)
    iso = forms.CharField(required=False, max_length=2, label="Country")

    def clean_recipients(self):
        addresses = [a.strip() for a in self.cleaned_data["recipients"].split(",") if a.strip()]
        if not addresses or len(addresses) > 10:
            raise forms.ValidationError("Give between 1 and 10 e-mail addresses.")
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(f"{address} is not an e-mail address.") from None
        return addresses

    def filters(self):
        return {k: self.cleaned_data[k] for k in ("outcome", "sender", "iso") if self.cleaned_data.get(k)}


class RouteCostForm(PageForm):
    supplier = forms.CharField(max_length=30, help_text="As messages name it (the connector's name, e.g. simulator).")
    iso = forms.CharField(max_length=2, label="Country (ISO code)")
    product_code = forms.CharField(max_length=10, required=False, label="Service", help_text="Empty: every service.")
    cost_per_unit = forms.DecimalField(min_value=0, max_digits=12, decimal_places=4, label="Cost per unit")
