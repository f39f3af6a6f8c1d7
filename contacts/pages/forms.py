from django import forms

from contacts.models import Gender, IdentifierType, SubscriptionChannel
from portal.pages import PageForm

ATTRIBUTE_HELP = "One per line as name: value (e.g. membership: platinum)."


def parse_attributes(text):
    """`name: value` lines -> dict; raises forms.ValidationError naming the bad line."""
    out = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        if ":" not in line:
            raise forms.ValidationError(f"Line {number} needs a name and a value separated by “:”.")
        key, value = line.split(":", 1)
        if not key.strip():
            raise forms.ValidationError(f"Line {number} has no attribute name.")
        out[key.strip()] = value.strip()
    return out


def format_attributes(attributes):
    return "\n".join(f"{k}: {v}" for k, v in (attributes or {}).items())


class ContactForm(PageForm):
    identity = forms.CharField(max_length=255, help_text="Your unique id for this contact, without spaces.")
    phone = forms.CharField(max_length=30, label="Mobile", help_text="With the country code, e.g. +919876543210.")
    email = forms.CharField(max_length=255, required=False, label="E-mail")
    first_name = forms.CharField(max_length=100, required=False)
    middle_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    gender = forms.ChoiceField(choices=[("", "—"), *Gender.choices], required=False)
    birth_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    company = forms.CharField(max_length=255, required=False)
    country = forms.CharField(max_length=100, required=False)
    region = forms.CharField(max_length=100, required=False)
    city = forms.CharField(max_length=100, required=False)
    locality = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    tags = forms.CharField(required=False, help_text="Comma separated; new tags are created.")
    attributes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=ATTRIBUTE_HELP)

    def __init__(self, *args, contact=None, **kwargs):
        self.contact = contact
        super().__init__(*args, **kwargs)

    def clean_attributes(self):
        return parse_attributes(self.cleaned_data.get("attributes"))

    def to_data(self):
        """The service body: every field (the page edits the whole contact); removed attributes
        are sent as null so the merge drops them."""
        data = dict(self.cleaned_data)
        data["birth_date"] = data["birth_date"].isoformat() if data.get("birth_date") else None
        data["tags"] = [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()]
        attributes = data["attributes"]
        if self.contact is not None:
            for key in self.contact.attributes or {}:
                attributes.setdefault(key, None)
        data["email"] = data.get("email") or None
        return data


class TagForm(PageForm):
    name = forms.CharField(max_length=100)


class IdentifierForm(PageForm):
    type = forms.ChoiceField(choices=IdentifierType.choices)
    value = forms.CharField(max_length=255)


class SubscriptionForm(PageForm):
    channel = forms.ChoiceField(choices=SubscriptionChannel.choices)
    identifier_id = forms.TypedChoiceField(coerce=int, label="Identifier")

    def __init__(self, *args, contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identifier_id"].choices = [
            (i.pk, f"{i.get_type_display()} {i.value}") for i in contact.identifiers.all()
        ]
