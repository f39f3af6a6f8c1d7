from django import forms

from contacts.recipients import segment_choices
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
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    type = forms.ChoiceField(choices=[("A", "Automatic"), ("N", "Normal text (GSM-7)"), ("U", "Unicode")], initial="A")
    name = forms.CharField(max_length=200, required=False, label="Campaign name")
    time = forms.DateTimeField(
        required=False,
        label="Send later",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty to send now (5 minutes to 30 days ahead).",
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        products = enabled_products(account).filter(channel="sms")
        self.fields["service"].choices = [(s.code, f"{s.code} – {s.display_name}") for s in products]
        senders = Sender.objects.for_account(account).filter(status=ReviewStatus.APPROVED).select_related("product")
        self.fields["sender"].choices = [(s.name, f"{s.name} ({s.product.code})") for s in senders.order_by("name")]
        self.fields["segments"].choices = segment_choices(account)
        if not self.fields["segments"].choices:
            del self.fields["segments"]
