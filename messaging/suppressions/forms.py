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


FILE_HELP = (
    "CSV or TXT, one value per line (a header line is skipped), or an Excel workbook (first column "
    "of the first sheet), up to 100 MB."
)


class ImportForm(PageForm):
    file = forms.FileField(help_text=FILE_HELP)


class UrlImportForm(PageForm):
    """A file, or the http(s) URL of one: the import job downloads it."""

    file = forms.FileField(required=False, help_text=FILE_HELP)
    url = forms.CharField(
        required=False,
        max_length=2000,
        label="Or the file's URL",
        help_text="A public http or https address; the file is downloaded in the background.",
    )

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("url") or "").strip() and not self.errors:
            raise forms.ValidationError("Choose a file or give its URL.")
        return data
