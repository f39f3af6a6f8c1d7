from django import forms

from contacts.recipients import segment_choices
from messaging.channels.sms.composer import approved_templates
from messaging.pipeline.compose import FOLLOW_UPS
from messaging.senders.models import ReviewStatus, Sender
from messaging.services.products import enabled_products
from portal.pages import PageForm


class SendForm(PageForm):
    service = forms.ChoiceField()
    sender = forms.ChoiceField(label="Sender ID")
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "919876543210, 447400123456 …"}),
        required=False,
        help_text="Numbers with their country code, separated by commas, spaces or new lines.",
    )
    file = forms.FileField(required=False, label="…or a file of numbers", help_text="CSV or TXT, first column.")
    segments = forms.MultipleChoiceField(
        required=False,
        label="…and/or segments",
        widget=forms.CheckboxSelectMultiple,
        help_text="Every member's mobile number that has not unsubscribed from SMS.",
    )
    template = forms.ChoiceField(
        required=False,
        label="Approved DLT template",
        help_text="Pick one to fill in its variables, or leave it and write the message.",
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="Merge fields fill in each recipient's contact details: {{first_name}}, {{last_name}}, "
        "{{company}}, {{city}}, {{attributes.plan}} …",
    )
    shorten = forms.BooleanField(
        required=False,
        label="Shorten links and track clicks",
        help_text="Each http(s) link becomes a short link; visits are counted per link.",
    )
    type = forms.ChoiceField(choices=[("A", "Automatic"), ("N", "Normal text (GSM-7)"), ("U", "Unicode")], initial="A")
    name = forms.CharField(max_length=200, required=False, label="Campaign name")
    time = forms.DateTimeField(
        required=False,
        label="Send later",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty to send now (5 minutes to 30 days ahead).",
    )
    # A follow-up of an earlier send ("Retry failed", "Send to the ones who didn't get it").
    follow_up = forms.CharField(required=False, widget=forms.HiddenInput)
    follow_up_who = forms.ChoiceField(
        required=False, choices=[("", "")] + list(FOLLOW_UPS.items()), widget=forms.HiddenInput
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        products = enabled_products(account).filter(channel="sms")
        self.fields["service"].choices = [(s.code, f"{s.code} – {s.display_name}") for s in products]
        senders = Sender.objects.for_account(account).filter(status=ReviewStatus.APPROVED).select_related("product")
        self.fields["sender"].choices = [(s.name, f"{s.name} ({s.product.code})") for s in senders.order_by("name")]
        templates = list(approved_templates(account))
        self.templates = {str(t.uuid): t for t in templates}
        if templates:
            self.fields["template"].choices = [("", "None: write the message")] + [
                (str(t.uuid), f"{t.name} ({t.sender.name})") for t in templates
            ]
        else:
            del self.fields["template"]
        self.fields["segments"].choices = segment_choices(account)
        if not self.fields["segments"].choices:
            del self.fields["segments"]

    def clean(self):
        data = super().clean()
        data["template_obj"] = self.templates.get(data.get("template") or "")
        if data["template_obj"] is None and not (data.get("message") or "").strip():
            self.add_error("message", "The message field is required.")
        return data


class TestNumberForm(PageForm):
    number = forms.CharField(
        max_length=20, label="Your mobile number", help_text="With its country code, e.g. 919876543210."
    )
    service = forms.ChoiceField(help_text="The code is sent as an SMS of your account on this service.")
    sender = forms.ChoiceField(label="Sender ID")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        products = enabled_products(account).filter(channel="sms")
        self.fields["service"].choices = [(s.code, f"{s.code} – {s.display_name}") for s in products]
        senders = Sender.objects.for_account(account).filter(status=ReviewStatus.APPROVED).select_related("product")
        self.fields["sender"].choices = [(s.name, f"{s.name} ({s.product.code})") for s in senders.order_by("name")]


class ConfirmCodeForm(PageForm):
    code = forms.CharField(
        max_length=6,
        min_length=6,
        label="Code",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
