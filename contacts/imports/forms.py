from django import forms

from contacts.imports.services import max_bytes
from portal.pages import PageForm


class UploadForm(PageForm):
    file = forms.FileField(
        label="File",
        help_text=f"CSV, TXT, XLS or XLSX with one contact per row, up to {max_bytes() // (1024 * 1024)} MB. "
        "The first row may hold column titles.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.xls"}),
    )
