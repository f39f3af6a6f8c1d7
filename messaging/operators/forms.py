from django import forms

from portal.pages import PageForm


class PrefixForm(PageForm):
    iso = forms.CharField(max_length=2, label="Country (ISO code)")
    prefix = forms.CharField(max_length=16, help_text="E.164 digits with the country code, e.g. 9197.")
    operator = forms.CharField(max_length=40)


class LoadForm(PageForm):
    kind = forms.ChoiceField(
        choices=[("prefixes", "Number ranges: iso,prefix,operator"), ("ported", "Ported numbers: mobile,operator")]
    )
    file = forms.FileField(help_text="CSV, UTF-8, one entry a line; a header line is skipped.")
