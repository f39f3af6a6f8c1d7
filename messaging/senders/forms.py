from django import forms

from messaging.senders.models import ReviewStatus, Sender, TemplateType
from messaging.senders.services import dlt_fields
from messaging.services.products import enabled_products
from portal.pages import PageForm


class SenderForm(PageForm):
    name = forms.CharField(
        max_length=15,
        label="Sender ID",
        help_text="India: 6 letters (transactional) or 6 "
        "digits (promotional). Elsewhere: up to 11 letters/digits or 15 digits.",
    )
    service = forms.ChoiceField()
    country_code = forms.CharField(max_length=2, label="Country (ISO code)", initial="IN")
    entity_id = forms.CharField(max_length=30, required=False, label="DLT entity ID")
    entity_name = forms.CharField(max_length=200, required=False, label="Entity (company) name")
    document = forms.FileField(
        required=False, label="Letter of authorisation", help_text="Optional. PDF, PNG or JPG up to 5 MB."
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            (s.code, f"{s.code} – {s.display_name}") for s in enabled_products(account).filter(channel="sms")
        ]
        if not dlt_fields(account):  # the brand's catalogue has no DLT entity
            del self.fields["entity_id"], self.fields["entity_name"]


class TemplateForm(PageForm):
    sender = forms.ChoiceField(help_text="Only approved sender IDs can carry templates.")
    name = forms.CharField(max_length=100)
    type = forms.ChoiceField(choices=TemplateType.choices)
    template_id = forms.CharField(
        max_length=30,
        required=False,
        label="DLT template ID",
        help_text="The 19-digit id your DLT operator gave the template (required for Indian routes).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{19}", "autocomplete": "off"}),
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Variables as {{name}} (or DLT's {#var#}); at most 30 characters each when sending.",
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        approved = Sender.objects.for_account(account).filter(status=ReviewStatus.APPROVED).order_by("name")
        self.fields["sender"].choices = [
            (str(s.uuid), f"{s.name} ({s.product_id and s.product.code})") for s in approved.select_related("product")
        ]
        if not dlt_fields(account):  # no DLT template id under this brand's catalogue
            del self.fields["template_id"]
