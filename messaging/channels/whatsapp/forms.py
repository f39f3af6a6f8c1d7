"""Page forms: the template builder (every template kind), the composer and the inbox reply. Each
builds the catalogued request shape and leaves the rules to the services the API uses, so a page
refuses exactly what the API refuses, with the same words."""

import json

from django import forms

from contacts.recipients import segment_choices
from messaging.channels.whatsapp import content, message_templates
from messaging.channels.whatsapp.models import BusinessNumber, TemplateStatus, WhatsappMedia, WhatsappTemplate
from portal.core.errors import FieldErrors
from portal.core.tenancy import is_uuid
from portal.pages import PageForm

KINDS = [
    ("template", "Meta template: reviewed by Meta, reaches customers outside the 24-hour window"),
    ("text", "Service template, text: no review, inside the window only"),
    ("json", "Service template, JSON: no review, a structured body your system reads"),
    ("media", "Service template, media: no review, an image, video, audio or document"),
]
CATEGORIES = [
    ("marketing", "Marketing: offers and news (customers can stop them)"),
    ("utility", "Utility: about an order or an account (needs a variable)"),
    ("authentication", "Authentication: a one-time code with a copy-code or one-tap button"),
]
HEADERS = [("", "No header"), ("text", "Text"), ("image", "Image"), ("video", "Video"), ("document", "Document")]
BUTTONS = [("", "No buttons"), ("reply", "Quick replies"), ("actions", "Call / website")]
MESSAGE_TYPES = [
    ("text", "Text"),
    ("image", "Image"),
    ("video", "Video"),
    ("audio", "Audio"),
    ("document", "Document"),
    ("interactive", "Reply buttons"),
    ("list", "List of choices"),
    ("location", "Location"),
    ("contacts", "Contact card"),
    ("template", "Approved template"),
]
# Where a rule's error (the catalogued field path) shows on the builder; actions and samples are
# placed by `TemplateForm.field_for`, which knows their order.
TEMPLATE_FIELDS = {
    "name": "name",
    "category": "category",
    "language": "language",
    "number": "number",
    "type": "kind",
    "is_conversation": "kind",
    "payload.payload.text": "body",
    "payload.payload.caption": "body",
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
    "payload.choices.actions": "buttons",
    "payload.choices.otp.otp_type": "otp_type",
    "payload.choices.otp.text": "otp_text",
    "payload.choices.code_expire": "code_expire",
}
ACTION_FIELDS = {
    ("phone_number", "phone_number_text"): "phone_text",
    ("phone_number", "phone_number"): "phone_number",
    ("url", "website_button_text"): "url_text",
    ("url", "website_url"): "url",
}
SAMPLE_PREFIX = "sample_"
# The composer's fields that make up the message (the rest say who it goes to).
MESSAGE_FIELDS = (
    "text", "media", "media_url", "filename", "buttons", "list_button", "rows", "latitude", "longitude", "place",
    "contact_name", "contact_phone", "template",
)  # fmt: skip


MERGE_HELP = "Merge fields such as {{first_name}} or {{attributes.plan}} are filled from each recipient's contact."


def _numbers(account):
    return [
        (n.number, f"+{n.number} · {n.display_name}")
        for n in BusinessNumber.objects.for_account(account).filter(is_active=True)
    ]


def _names(text):
    """The well-formed `{{name}}` variables of a draft text, each once (the rules themselves,
    names and distinctness, are `message_templates.variables`, run on the whole draft)."""
    found = message_templates.variables(text or "", "", FieldErrors())
    return [n for n in dict.fromkeys(found) if message_templates.VARIABLE_NAME.match(n)]


class TemplateForm(PageForm):
    """Every field of every template kind: the builder shows a step's share of them and carries
    the rest hidden (`builder.fields_of`), so going back keeps what was typed. The sample fields
    (`sample_<variable>`) follow the variables the draft's header and body have."""

    number = forms.ChoiceField(label="Business number")
    kind = forms.ChoiceField(choices=KINDS, initial="template", label="Kind", widget=forms.RadioSelect)
    category = forms.ChoiceField(choices=CATEGORIES, initial="marketing", widget=forms.RadioSelect)
    name = forms.CharField(max_length=100, help_text="Letters, digits and underscores, as order_update.")
    language = forms.ChoiceField(choices=[("en", "English (en)"), ("en_US", "English (US)")])
    header_type = forms.ChoiceField(choices=HEADERS, required=False, label="Header")
    header_text = forms.CharField(required=False, label="Header text", help_text="At most one {{variable}}.")
    header_url = forms.CharField(
        required=False, label="Header media URL", help_text="An example file for Meta's review (http or https)."
    )
    media_type = forms.ChoiceField(
        choices=[(k, k.title()) for k in ("image", "video", "audio", "document")], required=False, label="Media type"
    )
    media_url = forms.CharField(required=False, label="Media URL")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Variables as {{name}}, each name once.",
    )
    json = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        required=False,
        label="JSON",
        help_text="Any JSON value: the body your system reads.",
    )
    footer = forms.CharField(required=False, help_text="Optional; no variables.")
    buttons = forms.ChoiceField(choices=BUTTONS, required=False)
    reply1 = forms.CharField(required=False, label="Quick reply 1")
    reply2 = forms.CharField(required=False, label="Quick reply 2")
    reply3 = forms.CharField(required=False, label="Quick reply 3 (optional)")
    phone_text = forms.CharField(required=False, label="Call button text")
    phone_number = forms.CharField(required=False, label="Phone number", help_text="+ and the country code.")
    url_text = forms.CharField(required=False, label="Website button text")
    url = forms.CharField(required=False, label="Website URL")
    otp_type = forms.ChoiceField(
        choices=[("copy_code", "Copy code"), ("one_tap", "One tap (autofill)")], required=False, label="Code button"
    )
    otp_text = forms.CharField(required=False, label="Code button text", initial="Copy code")
    code_expire = forms.IntegerField(
        required=False, label="Code expires after (minutes)", help_text="1 to 90.", initial=10
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].choices = _numbers(account)
        kind = self.value_of("kind") or "template"
        self.fields["body"].label = {"text": "Text", "media": "Caption"}.get(kind, "Body")
        if kind == "template" and self.value_of("category") == "authentication":
            self.fields["body"].help_text = "Exactly one variable, the code: {{code}} is your verification code."
        self.header_variables, self.body_variables = [], []
        if kind == "template":
            if self.value_of("header_type") == "text" and self.value_of("category") != "authentication":
                self.header_variables = _names(self.value_of("header_text"))
            self.body_variables = _names(self.value_of("body"))
        for name in self.header_variables + self.body_variables:
            self.fields[SAMPLE_PREFIX + name] = forms.CharField(
                required=False,
                label=f"Sample for {{{{{name}}}}}",
                help_text="An example value Meta's reviewers read; customers never see it.",
            )
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-describedby", f"help-{name} err-{name}")
        self._actions = []

    def values(self):
        """The cleaned values (bound) or the starting ones: what the payload and the preview read."""
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data
        return {name: self.initial.get(name, field.initial) for name, field in self.fields.items()}

    def value_of(self, name):
        """A field's value as typed (bound) or its starting value, before cleaning."""
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "") or ""
        value = self.initial.get(name, self.fields[name].initial if name in self.fields else "")
        return "" if value is None else str(value)

    def clean_json(self):
        raw = self.cleaned_data.get("json", "")
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc.msg} (line {exc.lineno}).") from None

    def samples(self):
        d = self.values()
        return {n: d.get(SAMPLE_PREFIX + n, "") for n in self.header_variables + self.body_variables}

    def field_for(self, path):
        """The field a rule's error (its catalogued path) belongs beside, or None (top of the step)."""
        if path.startswith("payload.choices.actions."):
            index, _, rest = path.removeprefix("payload.choices.actions.").partition(".")
            kind = self._actions[int(index)] if index.isdigit() and int(index) < len(self._actions) else ""
            return ACTION_FIELDS.get((kind, rest), "buttons")
        for prefix, names in (
            ("payload.header.params", self.header_variables),
            ("payload.body.params", self.body_variables),
        ):
            if path == prefix and names:
                return SAMPLE_PREFIX + names[0]
            index = path.removeprefix(prefix + ".")
            if path.startswith(prefix + ".") and index.isdigit() and int(index) < len(names):
                return SAMPLE_PREFIX + names[int(index)]
        if path == "payload.payload.text" and self.value_of("kind") == "json":
            return "json"
        target = TEMPLATE_FIELDS.get(path, path)
        return target if target in self.fields else None

    def payload(self):
        """The catalogued create body (`POST whatsapp/templates`) of what the form holds."""
        d = self.values()
        kind = d.get("kind") or "template"
        category = d.get("category", "")
        body = {
            "type": kind,
            "name": d.get("name", ""),
            "category": category,
            "language": d.get("language", ""),
            "is_conversation": kind != "template",
            "number": d.get("number", ""),
        }
        if kind == "text":
            body["payload"] = {"type": "text", "payload": {"text": d.get("body", "")}}
            return body
        if kind == "json":
            body["payload"] = {"type": "json", "payload": {"text": d["json"]} if d.get("json") is not None else {}}
            return body
        if kind == "media":
            body["payload"] = {
                "type": d.get("media_type") or "image",
                "payload": {"url": d.get("media_url", ""), "caption": d.get("body", "")},
            }
            return body
        samples = self.samples()
        payload = {"body": {"type": "text", "payload": {"text": d.get("body", "")}}}
        if self.body_variables:
            payload["body"]["params"] = [samples[n] for n in self.body_variables]
        header = d.get("header_type") if category != "authentication" else ""
        if header == "text":
            payload["header"] = {"type": "text", "payload": {"text": d.get("header_text", "")}}
            if self.header_variables:
                payload["header"]["params"] = [samples[n] for n in self.header_variables]
        elif header:
            payload["header"] = {"type": header, "payload": {"url": d.get("header_url", "")}}
        if d.get("footer") and category != "authentication":
            payload["footer"] = {"type": "text", "payload": {"text": d["footer"]}}
        buttons = "otp" if category == "authentication" else d.get("buttons")
        if buttons == "reply":
            reply = {"type": "quick_reply", "quick_reply1": d.get("reply1", ""), "quick_reply2": d.get("reply2", "")}
            if d.get("reply3"):
                reply["quick_reply3"] = d["reply3"]
            payload["choices"] = {"type": "reply", "reply": reply}
        elif buttons == "actions":
            actions, self._actions = [], []
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
            self._actions = [a["type"] for a in actions]
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


def initial_from(template):
    """The builder's fields for a copy of a stored template (a rejected one corrected, say). The
    name gets a suffix: the original keeps its name until it is deleted."""
    doc = template.payload or {}
    initial = {
        "number": template.number.number,
        "kind": template.type,
        "category": template.category,
        "name": f"{template.name[:98]}_2",
        "language": template.language,
    }
    if template.type == "text":
        initial["body"] = template.body
    elif template.type == "json":
        initial["json"] = json.dumps((doc.get("payload") or {}).get("text"), indent=2)
    elif template.type == "media":
        inner = doc.get("payload") or {}
        initial.update(
            media_type=doc.get("type", "image"), media_url=inner.get("url", ""), body=inner.get("caption", "")
        )
    else:
        header = doc.get("header") or {}
        initial.update(header_type=header.get("type", ""), body=doc.get("body", ""), footer=doc.get("footer", ""))
        initial["header_text" if header.get("type") == "text" else "header_url"] = header.get("text") or header.get(
            "url", ""
        )
        names = dict(zip(doc.get("header_variables") or [], doc.get("header_examples") or [], strict=False))
        names.update(zip(template.variables or [], doc.get("examples") or [], strict=False))
        initial.update({SAMPLE_PREFIX + n: v for n, v in names.items()})
        buttons = doc.get("buttons") or {}
        if buttons.get("type") == "reply":
            initial["buttons"] = "reply"
            initial.update({f"reply{i + 1}": text for i, text in enumerate(buttons.get("replies", []))})
        elif buttons.get("type") == "actions":
            initial["buttons"] = "actions"
            for action in buttons.get("actions", []):
                if action["type"] == "phone_number":
                    initial.update(phone_text=action["text"], phone_number=action["phone_number"])
                else:
                    initial.update(url_text=action["text"], url=action["url"])
        elif buttons.get("type") == "otp":
            initial.update(
                otp_type=buttons.get("otp_type"), otp_text=buttons.get("text"), code_expire=buttons.get("code_expire")
            )
    return initial


def _media_choices(account):
    items = WhatsappMedia.objects.for_account(account).order_by("-created_at")[:200]
    return [("", "—")] + [(str(m.uuid), f"{m.filename} · {m.kind} · {m.size / (1024 * 1024):.1f} MB") for m in items]


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
        help_text=MERGE_HELP,
    )
    media = forms.ChoiceField(
        required=False,
        label="From your media library",
        help_text="Checked for its kind's type and size when it was uploaded.",
    )
    media_url = forms.CharField(
        required=False,
        label="…or a media URL",
        help_text="Image jpg/png ≤ 5 MB; audio, video ≤ 16 MB; document ≤ 100 MB.",
    )
    filename = forms.CharField(required=False)
    buttons = forms.CharField(
        required=False, label="Reply buttons", help_text="Titles, comma-separated: at most 3, 20 characters each."
    )
    list_button = forms.CharField(required=False, label="List button", help_text="The button that opens the list.")
    rows = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Choices",
        help_text="One per line: a title (≤ 24 characters), then | and a description (≤ 72) if you like.",
    )
    latitude = forms.CharField(required=False)
    longitude = forms.CharField(required=False)
    place = forms.CharField(required=False, label="Place name")
    contact_name = forms.CharField(required=False, label="Contact name")
    contact_phone = forms.CharField(required=False, label="Contact phone")
    template = forms.ChoiceField(required=False, label="Template")
    header_param = forms.CharField(required=False, label="Header value")  # shown with the template's values

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["sender"].choices = _numbers(account)
        approved = WhatsappTemplate.objects.for_account(account).filter(type="template", status=TemplateStatus.APPROVED)
        self.fields["template"].choices = [("", "—")] + [
            (str(t.uuid), f"{t.name} ({t.category}, {len(t.variables)} variable{'s' if len(t.variables) != 1 else ''})")
            for t in approved.order_by("name")
        ]
        self.fields["media"].choices = _media_choices(account)
        self.fields["segments"].choices = segment_choices(account)
        if not self.fields["segments"].choices:
            del self.fields["segments"]
        kind = (self.data.get("message_type") if self.is_bound else self.initial.get("message_type")) or "text"
        self.fields["text"].label = "Caption" if kind in content.MEDIA else {
            "interactive": "Body", "list": "Body", "location": "Address"
        }.get(kind, "Text")  # fmt: skip
        for name in MESSAGE_FIELDS:  # shown with their help and problems slots (live_field.html)
            self.fields[name].widget.attrs.setdefault("aria-describedby", f"help-{name} err-{name}")


def message_of(data, account):
    """The catalogued `message` object of the composer's or the reply's fields."""
    kind = data.get("message_type") or "text"
    text = data.get("text") or ""
    if kind == "text":
        return {"type": "text", "payload": {"text": text}}
    if kind in content.MEDIA:
        payload = {"caption": text, "filename": data.get("filename", "")}
        if data.get("media"):
            payload["id"] = data["media"]  # an upload of the media library (`media.resolve` checks it)
        else:
            payload["url"] = data.get("media_url", "")
        return {"type": kind, "payload": payload}
    if kind == "interactive":
        titles = [t.strip() for t in (data.get("buttons") or "").split(",") if t.strip()]
        choices = [{"type": "reply", "payload": {"title": t, "id": f"b{i + 1}"}} for i, t in enumerate(titles)]
        return {
            "type": "interactive",
            "payload": {"type": "reply", "body": {"type": "text", "payload": {"text": text}}, "choices": choices},
        }
    if kind == "list":
        rows = []
        for i, line in enumerate(line for line in (data.get("rows") or "").splitlines() if line.strip()):
            title, _, description = line.partition("|")
            rows.append({"id": f"r{i + 1}", "title": title.strip(), "description": description.strip()})
        choice = {"type": "button", "payload": {"title": data.get("list_button", ""), "rows": rows}}
        return {
            "type": "interactive",
            "payload": {"type": "list", "body": {"type": "text", "payload": {"text": text}}, "choices": [choice]},
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
        if is_uuid(str(data.get("template") or ""))
        else None
    )
    values = data.get("body_values")  # the composer's one field per variable
    if values is None:
        values = [v.strip() for v in (data.get("params") or "").split(",") if v.strip()]
    payload = {
        "name": template.alias if template else "",
        "language": template.language if template else "en",
        "body_params": list(values),
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
    """The inbox reply: a text, or one of the number's approved templates with a field per value
    (`header_param`, `var_<name>`: read by `composer.template_variables`, as the composer does)."""

    message_type = forms.ChoiceField(
        choices=[("text", "Text"), ("template", "Approved template")], initial="text", label="Reply with"
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Message",
        help_text="Merge fields such as {{first_name}} are filled from this customer's contact.",
    )
    template = forms.ChoiceField(required=False, label="Template", help_text="Each value gets its own field.")

    def __init__(self, *args, account, number, values_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "—")] + [
            (str(t.uuid), t.name) for t in number_templates(account, number).order_by("name")
        ]
        if values_url:  # the picked template's value fields, swapped in below it
            self.fields["template"].widget.attrs.update(
                {"hx-get": values_url, "hx-target": "#reply-values", "hx-swap": "outerHTML"}
            )


def number_templates(account, number):
    """The approved Meta templates of one business number of the account."""
    return WhatsappTemplate.objects.for_account(account).filter(
        number=number, type="template", status=TemplateStatus.APPROVED
    )
