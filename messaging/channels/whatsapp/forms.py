"""Page forms: the template builder (every template kind), the composer and the inbox reply. Each
builds the catalogued request shape and leaves the rules to the services the API uses, so a page
refuses exactly what the API refuses, with the same words."""

from django import forms

from contacts.recipients import segment_choices
from messaging.channels.whatsapp import content
from messaging.channels.whatsapp.models import BusinessNumber, TemplateStatus, WhatsappTemplate
from portal.pages import PageForm

KINDS = [
    ("text", "Service – text (no review)"),
    ("media", "Service – media (no review)"),
    ("template", "Meta template (reviewed by Meta)"),
]
HEADERS = [("", "No header"), ("text", "Text"), ("image", "Image"), ("video", "Video"), ("document", "Document")]
BUTTONS = [("", "No buttons"), ("reply", "Quick replies"), ("actions", "Call / website"), ("otp", "One-time password")]
MESSAGE_TYPES = [
    ("text", "Text"),
    ("image", "Image"),
    ("video", "Video"),
    ("audio", "Audio"),
    ("document", "Document"),
    ("interactive", "Reply buttons"),
    ("location", "Location"),
    ("contacts", "Contact card"),
    ("template", "Approved template"),
]
# Where a rule's error (the catalogued field path) shows on the builder.
TEMPLATE_FIELDS = {
    "name": "name",
    "category": "category",
    "language": "language",
    "number": "number",
    "payload.payload.text": "body",
    "payload.payload.url": "media_url",
    "payload.type": "media_type",
    "payload.header.payload.text": "header_text",
    "payload.header.payload.url": "header_url",
    "payload.header": "header_type",
    "payload.header.type": "header_type",
    "payload.body.payload.text": "body",
    "payload.footer.payload.text": "footer",
    "payload.choices": "buttons",
    "payload.choices.type": "buttons",
    "payload.choices.reply.quick_reply1": "reply1",
    "payload.choices.reply.quick_reply2": "reply2",
    "payload.choices.reply.quick_reply3": "reply3",
    "payload.choices.actions.0.phone_number_text": "phone_text",
    "payload.choices.actions.0.phone_number": "phone_number",
    "payload.choices.actions.1.website_button_text": "url_text",
    "payload.choices.actions.1.website_url": "url",
    "payload.choices.actions": "buttons",
    "payload.choices.otp.otp_type": "otp_type",
    "payload.choices.otp.text": "otp_text",
    "payload.choices.code_expire": "code_expire",
}


def _numbers(account):
    return [
        (n.number, f"+{n.number} · {n.display_name}")
        for n in BusinessNumber.objects.for_account(account).filter(is_active=True)
    ]


class TemplateForm(PageForm):
    number = forms.ChoiceField(label="Business number")
    kind = forms.ChoiceField(choices=KINDS, initial="template", label="Kind")
    name = forms.CharField(max_length=100, help_text="Letters, digits and underscores.")
    category = forms.ChoiceField(
        choices=[("marketing", "Marketing"), ("utility", "Utility"), ("authentication", "Authentication")]
    )
    language = forms.ChoiceField(choices=[("en", "English (en)"), ("en_US", "English (US)")])
    header_type = forms.ChoiceField(choices=HEADERS, required=False, label="Header")
    header_text = forms.CharField(
        required=False, label="Header text", help_text="Up to 60 characters and one {{variable}}."
    )
    header_url = forms.CharField(required=False, label="Header media URL")
    media_type = forms.ChoiceField(
        choices=[(k, k.title()) for k in ("image", "video", "audio", "document")], required=False, label="Media type"
    )
    media_url = forms.CharField(required=False, label="Media URL")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Up to 1024 characters; variables as {{name}}, each name once.",
    )
    examples = forms.CharField(
        required=False, label="Example values", help_text="Comma-separated, one per body variable."
    )
    footer = forms.CharField(required=False, help_text="Up to 60 characters.")
    buttons = forms.ChoiceField(choices=BUTTONS, required=False)
    reply1 = forms.CharField(required=False, label="Quick reply 1")
    reply2 = forms.CharField(required=False, label="Quick reply 2")
    reply3 = forms.CharField(required=False, label="Quick reply 3 (optional)")
    phone_text = forms.CharField(required=False, label="Call button text")
    phone_number = forms.CharField(required=False, label="Phone number", help_text="+ and the country code.")
    url_text = forms.CharField(required=False, label="Website button text")
    url = forms.CharField(required=False, label="Website URL")
    otp_type = forms.ChoiceField(
        choices=[("copy_code", "Copy code"), ("one_tap", "One tap")], required=False, label="Code button"
    )
    otp_text = forms.CharField(required=False, label="Code button text")
    code_expire = forms.IntegerField(required=False, label="Code expires after (minutes)", help_text="1 to 90.")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].choices = _numbers(account)

    def payload(self):
        """The catalogued create body (`POST whatsapp/templates`) of what the form holds."""
        d = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        kind = d.get("kind") or "template"
        body = {
            "type": "text" if kind == "text" else kind,
            "name": d.get("name", ""),
            "category": d.get("category", ""),
            "language": d.get("language", ""),
            "is_conversation": kind != "template",
            "number": d.get("number", ""),
        }
        if kind == "text":
            body["payload"] = {"type": "text", "payload": {"text": d.get("body", "")}}
            return body
        if kind == "media":
            body["payload"] = {
                "type": d.get("media_type") or "image",
                "payload": {"url": d.get("media_url", ""), "caption": d.get("body", "")},
            }
            return body
        payload = {
            "body": {
                "type": "text",
                "payload": {"text": d.get("body", "")},
                "params": [v.strip() for v in (d.get("examples") or "").split(",") if v.strip()],
            }
        }
        header = d.get("header_type")
        if header == "text":
            payload["header"] = {"type": "text", "payload": {"text": d.get("header_text", "")}}
        elif header:
            payload["header"] = {"type": header, "payload": {"url": d.get("header_url", "")}}
        if d.get("footer"):
            payload["footer"] = {"type": "text", "payload": {"text": d["footer"]}}
        buttons = d.get("buttons")
        if buttons == "reply":
            reply = {"type": "quick_reply", "quick_reply1": d.get("reply1", ""), "quick_reply2": d.get("reply2", "")}
            if d.get("reply3"):
                reply["quick_reply3"] = d["reply3"]
            payload["choices"] = {"type": "reply", "reply": reply}
        elif buttons == "actions":
            actions = []
            if d.get("phone_text") or d.get("phone_number"):
                actions.append(
                    {
                        "type": "phone_number",
                        "phone_number_text": d.get("phone_text", ""),
                        "phone_number": d.get("phone_number", ""),
                    }
                )
            if d.get("url_text") or d.get("url"):
                actions.append(
                    {
                        "type": "url",
                        "website_url_type": "Static",
                        "website_button_text": d.get("url_text", ""),
                        "website_url": d.get("url", ""),
                    }
                )
            payload["choices"] = {"type": "actions", "actions": actions}
        elif buttons == "otp":
            payload["choices"] = {
                "type": "otp",
                "otp": {"otp_type": d.get("otp_type") or "copy_code", "text": d.get("otp_text", "")},
                "code_expire": d.get("code_expire"),
                "security": True,
            }
        body["payload"] = payload
        return body


class ComposeForm(PageForm):
    sender = forms.ChoiceField(label="From")
    message_type = forms.ChoiceField(choices=MESSAGE_TYPES, label="Type")
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "919876543210, 447400123456 …"}),
        required=False,
        help_text="Numbers with their country code.",
    )
    file = forms.FileField(required=False, label="…or a file of numbers", help_text="CSV or TXT, first column.")
    segments = forms.MultipleChoiceField(
        required=False,
        label="…and/or segments",
        widget=forms.CheckboxSelectMultiple,
        help_text="Members subscribed to WhatsApp.",
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Text",
        help_text="The message, the caption of media, or the body of reply buttons (up to 4096).",
    )
    media_url = forms.CharField(required=False, label="Media URL")
    filename = forms.CharField(required=False)
    buttons = forms.CharField(
        required=False, label="Reply buttons", help_text="Up to three titles, comma-separated (20 characters each)."
    )
    latitude = forms.CharField(required=False)
    longitude = forms.CharField(required=False)
    place = forms.CharField(required=False, label="Place name")
    contact_name = forms.CharField(required=False, label="Contact name")
    contact_phone = forms.CharField(required=False, label="Contact phone")
    template = forms.ChoiceField(required=False, label="Template")
    header_param = forms.CharField(
        required=False, label="Header value", help_text="The header's variable, or its media URL."
    )
    params = forms.CharField(required=False, label="Body values", help_text="One per body variable, comma-separated.")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = _numbers(account)
        approved = WhatsappTemplate.objects.for_account(account).filter(type="template", status=TemplateStatus.APPROVED)
        self.fields["template"].choices = [("", "—")] + [
            (str(t.uuid), f"{t.name} ({t.category}, {len(t.variables)} variable{'s' if len(t.variables) != 1 else ''})")
            for t in approved.order_by("name")
        ]
        self.fields["segments"].choices = segment_choices(account)
        if not self.fields["segments"].choices:
            del self.fields["segments"]


def message_of(data, account):
    """The catalogued `message` object of the composer's or the reply's fields."""
    kind = data.get("message_type") or "text"
    text = data.get("text") or ""
    if kind == "text":
        return {"type": "text", "payload": {"text": text}}
    if kind in content.MEDIA:
        return {
            "type": kind,
            "payload": {"url": data.get("media_url", ""), "caption": text, "filename": data.get("filename", "")},
        }
    if kind == "interactive":
        titles = [t.strip() for t in (data.get("buttons") or "").split(",") if t.strip()]
        choices = [{"type": "reply", "payload": {"title": t, "id": f"b{i + 1}"}} for i, t in enumerate(titles)]
        return {
            "type": "interactive",
            "payload": {"type": "reply", "body": {"type": "text", "payload": {"text": text}}, "choices": choices},
        }
    if kind == "location":
        return {
            "type": "location",
            "payload": {
                "latitude": data.get("latitude"),
                "longitude": data.get("longitude"),
                "name": data.get("place", ""),
                "address": text,
            },
        }
    if kind == "contacts":
        name = data.get("contact_name", "")
        return {
            "type": "contacts",
            "payload": {
                "name": {"formatted_name": name, "first_name": name},
                "phones": [{"phone": data.get("contact_phone", ""), "type": "CELL"}],
                "addresses": [{"type": "HOME"}],
                "emails": [{"type": "WORK"}],
                "urls": [{"type": "WORK"}],
                "org": {"company": ""},
            },
        }
    template = (
        WhatsappTemplate.objects.for_account(account).filter(uuid=data.get("template") or None).first()
        if data.get("template")
        else None
    )
    payload = {
        "name": template.alias if template else "",
        "language": template.language if template else "en",
        "body_params": [v.strip() for v in (data.get("params") or "").split(",") if v.strip()],
    }
    header = (template.payload.get("header") or {}) if template else {}
    if header and data.get("header_param"):
        if header.get("type") == "text":
            payload["header_params"] = {"type": "text", "payload": {"text": data["header_param"]}}
        else:
            payload["header_params"] = {"type": header["type"], "payload": {"url": data["header_param"]}}
    return {"type": "template", "payload": payload}


class MediaForm(PageForm):
    type = forms.ChoiceField(
        choices=[("image", "Image"), ("audio", "Audio"), ("video", "Video"), ("document", "Document")], label="Kind"
    )
    file = forms.FileField(label="File", help_text="Checked against the kind's size and type limits.")


class ReplyForm(PageForm):
    message_type = forms.ChoiceField(
        choices=[("text", "Text"), ("template", "Approved template")], initial="text", label="Reply with"
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Message")
    template = forms.ChoiceField(required=False, label="Template")
    header_param = forms.CharField(required=False, label="Header value")
    params = forms.CharField(required=False, label="Body values", help_text="Comma-separated.")

    def __init__(self, *args, account, number, **kwargs):
        super().__init__(*args, **kwargs)
        approved = WhatsappTemplate.objects.for_account(account).filter(
            number=number, type="template", status=TemplateStatus.APPROVED
        )
        self.fields["template"].choices = [("", "—")] + [(str(t.uuid), t.name) for t in approved.order_by("name")]
