"""Brand forms: what a reseller edits of its own brand, and what staff edit of any brand."""

from django import forms

from accounts import products
from accounts.brands.models import HEX_COLOUR, PLATFORM_SLUG, Brand, Module
from portal.pages import PageForm

COLOUR_FIELDS = ("primary_colour", "primary_ink_colour", "soft_colour", "sidebar_colour")
LOOK_FIELDS = (
    "name",
    *COLOUR_FIELDS,
    "login_title",
    "login_text",
    "support_email",
    "support_url",
    "legal_footer",
    "show_powered_by",
    "email_from_name",
    "email_from",
    "reply_to",
    "api_title",
)
STAFF_FIELDS = (
    "slug",
    "owner_username",
    "short_link_domain",
    "api_servers",
    "product_codes",
    "default_product_codes",
    "modules",
    "dlt_fields",
)
# Brand.dlt_fields as the form offers it: a choice made on purpose (a form posted without it is an
# error, never a silent switch that would drop India's DLT checks).
DLT_CHOICES = [("1", "With India's DLT fields"), ("0", "Without DLT fields")]


def _colour_field(label):
    return forms.CharField(
        label=label,
        max_length=32,  # longer values get the colour message, not a length one
        widget=forms.TextInput(attrs={"type": "color", "class": "colour-input"}),
    )


class BrandForm(PageForm):
    """A reseller's brand: its look, texts and e-mail identity (the catalogue is staff's)."""

    name = forms.CharField(max_length=100)
    primary_colour = _colour_field("Main colour")
    primary_ink_colour = _colour_field("Text on the main colour")
    soft_colour = _colour_field("Soft background")
    sidebar_colour = _colour_field("Sidebar")
    logo = forms.FileField(required=False, help_text="PNG, JPEG, GIF or WebP up to 256 KB (SVG is refused).")
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")
    favicon = forms.FileField(required=False, help_text="ICO, PNG or GIF up to 256 KB.")
    login_title = forms.CharField(max_length=120, required=False, label="Login page title")
    login_text = forms.CharField(
        max_length=500, required=False, label="Login page text", widget=forms.Textarea(attrs={"rows": 2})
    )
    support_email = forms.EmailField(required=False)
    support_url = forms.URLField(required=False, assume_scheme="https")
    legal_footer = forms.CharField(max_length=300, required=False)
    show_powered_by = forms.BooleanField(required=False, label="Show “powered by” in the footer")
    email_from_name = forms.CharField(max_length=100, required=False, label="E-mail sender name")
    email_from = forms.EmailField(required=False, label="E-mail From address")
    reply_to = forms.EmailField(required=False, label="E-mail Reply-To address")
    api_title = forms.CharField(max_length=120, required=False, label="API reference title")

    def clean(self):
        data = super().clean()
        for name in COLOUR_FIELDS:
            if name in data and not HEX_COLOUR.match(data[name] or ""):
                self.add_error(name, "Enter a colour as #rrggbb.")
        return data

    @classmethod
    def initial_for(cls, brand):
        return {name: getattr(brand, name) for name in LOOK_FIELDS}


class StaffBrandForm(BrandForm):
    """Staff also choose the brand's owner, catalogue, short-link domain and API servers."""

    slug = forms.SlugField(max_length=60)
    owner_username = forms.CharField(
        max_length=100, required=False, label="Owner (reseller username)", help_text="Empty: a platform brand."
    )
    short_link_domain = forms.CharField(max_length=253, required=False)
    api_servers = forms.CharField(
        required=False, label="API servers", help_text="One URL a line.", widget=forms.Textarea(attrs={"rows": 2})
    )
    product_codes = forms.MultipleChoiceField(
        required=False,
        label="Products sold",
        help_text="None ticked: every product.",
        widget=forms.CheckboxSelectMultiple,
    )
    default_product_codes = forms.MultipleChoiceField(
        required=False, label="Products of a new account", widget=forms.CheckboxSelectMultiple
    )
    modules = forms.MultipleChoiceField(
        required=False, choices=Module.choices, label="API modules", widget=forms.CheckboxSelectMultiple
    )
    dlt_fields = forms.TypedChoiceField(
        choices=DLT_CHOICES,
        coerce=lambda value: value == "1",
        label="Sender and template fields",
        widget=forms.RadioSelect,
        help_text="With: the brand's customers give a DLT entity id and name for Indian senders, a DLT "
        "template id for their templates, and a template's type when they create it (India's DLT rules). "
        "Without: none of these are asked for or kept; a template's type is optional when it is created "
        "and required when it is edited. Values already stored stay.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = [(c.code, f"{c.code} – {c.display_name}") for c in products.directory().choices(None)]
        self.fields["product_codes"].choices = codes
        self.fields["default_product_codes"].choices = codes

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug == PLATFORM_SLUG:
            raise forms.ValidationError("This slug is the platform's own.")
        return slug

    def clean_api_servers(self):
        lines = [line.strip() for line in self.cleaned_data["api_servers"].splitlines() if line.strip()]
        validator = forms.URLField(assume_scheme="https")
        return [validator.clean(line) for line in lines]

    @classmethod
    def initial_for(cls, brand):
        initial = super().initial_for(brand)
        initial.update(
            slug=brand.slug,
            owner_username=brand.account.username if brand.account_id else "",
            short_link_domain=brand.short_link_domain,
            api_servers="\n".join(brand.api_servers),
            product_codes=brand.product_codes,
            default_product_codes=brand.default_product_codes,
            modules=brand.modules,
            dlt_fields="1" if brand.dlt_fields else "0",
        )
        return initial


__all__ = ["Brand", "BrandForm", "StaffBrandForm"]
