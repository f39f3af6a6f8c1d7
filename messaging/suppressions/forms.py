from django import forms

from messaging.suppressions.models import ScopeType
from portal.pages import PageForm


class UnsubscriberForm(PageForm):
    receiver = forms.CharField(max_length=30, label="Number", help_text="With the country code, e.g. 919876543210.")
    type = forms.ChoiceField(choices=ScopeType.choices, label="Applies to", initial=ScopeType.ALL)
    value = forms.CharField(
        max_length=100, required=False, help_text="The tag, service code or sender ID (not needed for “Everything”)."
    )


class BlockedTemplateForm(PageForm):
    template_id = forms.CharField(max_length=30, label="DLT template ID")
    status = forms.ChoiceField(choices=[("1", "Active (block sends)"), ("0", "Inactive")], initial="1")


class ImportForm(PageForm):
    file = forms.FileField(help_text="CSV or TXT, one value per line (a header line is skipped), up to 100 MB.")
