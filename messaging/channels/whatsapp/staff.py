"""Staff: onboarding WhatsApp business numbers for customers and setting their Cloud API details,
throughput (80 msg/s by default, up to 1,000), quality and tier."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Account
from accounts.permissions import staff_required
from messaging.channels.whatsapp import numbers
from messaging.channels.whatsapp.models import DEFAULT_THROUGHPUT, MAX_THROUGHPUT, BusinessNumber, Quality, Tier
from portal.core.errors import DomainError
from portal.pages import PageForm, form_errors_from


class NumberForm(PageForm):
    account = forms.CharField(label="Customer username")
    number = forms.CharField(help_text="With its country code.")
    display_name = forms.CharField(max_length=100)
    phone_number_id = forms.CharField(
        required=False, label="Phone number id", help_text="Meta's id; made up when empty."
    )
    waba_id = forms.CharField(required=False, label="WhatsApp Business Account id")
    quality = forms.ChoiceField(choices=Quality.choices, initial=Quality.UNKNOWN)
    tier = forms.ChoiceField(choices=Tier.choices, initial=Tier.TIER_1K)
    throughput = forms.IntegerField(
        min_value=1, max_value=MAX_THROUGHPUT, initial=DEFAULT_THROUGHPUT, label="Messages per second"
    )
    api_base_url = forms.CharField(
        label="Cloud API base URL", help_text="https://graph.facebook.com, or the simulator."
    )
    access_token = forms.CharField(required=False, help_text="Empty: a new random one (the simulator takes any).")
    app_secret = forms.CharField(required=False, help_text="Signs the provider's webhooks.")
    verify_token = forms.CharField(required=False, help_text="The webhook subscription's hub.verify_token.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


EDIT_FIELDS = (
    "display_name",
    "quality",
    "tier",
    "throughput",
    "api_base_url",
    "access_token",
    "app_secret",
    "verify_token",
    "is_active",
)


@staff_required
def number_admin(request, pk=None):
    row = get_object_or_404(BusinessNumber.objects.select_related("account"), pk=pk) if pk else None
    initial = (
        {**{f: getattr(row, f) for f in EDIT_FIELDS}, "account": row.account.username, "number": row.number}
        if row
        else None
    )
    form = NumberForm(request.POST or None, initial=initial)
    if row:
        for name in ("account", "number", "phone_number_id", "waba_id"):
            form.fields[name].disabled = True
            form.fields[name].required = False
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in ("", None) or k == "is_active"}
        try:
            if row:
                numbers.update(row, {k: data[k] for k in EDIT_FIELDS if k in data})
            else:
                account = Account.objects.filter(username=data.pop("account")).first()
                if account is None:
                    form.add_error("account", "No customer has this username.")
                    raise DomainError("No customer has this username.")
                numbers.onboard(account=account, data=data)
        except DomainError as exc:
            if not form.errors:
                form_errors_from(form, exc)
        else:
            messages.success(request, "Business number saved.")
            return redirect("whatsapp_staff:number_admin")
    ctx = {
        "rows": BusinessNumber.objects.select_related("account").order_by("account__name", "number"),
        "form": form,
        "editing": row,
    }
    return render(request, "whatsapp/staff_numbers.html", ctx, status=422 if form.errors else 200)
