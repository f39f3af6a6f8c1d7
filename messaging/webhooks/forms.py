from django import forms

from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import formats
from messaging.webhooks.models import BodyFormat, Kind, Method, Webhook
from portal.core.events import registry
from portal.pages import PageForm

PAIRS_HELP = "One per line as key=value; values may use {{variables}} such as {{id}}, {{mobile}}, {{status}}."


def parse_pairs(text):
    pairs = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        pairs.append([key.strip(), value.strip()])
    return pairs


def format_pairs(pairs):
    return "\n".join(f"{k}={v}" for k, v in pairs or [])


class WebhookForm(PageForm):
    name = forms.CharField(max_length=200)
    uri = forms.CharField(
        max_length=2000,
        label="URL",
        help_text="http(s) URL that receives the events. Customized webhooks may use {{variables}} in it.",
    )
    secret = forms.CharField(
        max_length=255,
        required=False,
        # A typed secret survives a validation error (the page is never cached); a stored one is
        # never in `initial`, so it is never sent back.
        widget=forms.PasswordInput(render_value=True),
        help_text="Sent as Authorization: Bearer <secret> with every callback. Stored secrets are never shown: "
        "leave empty to keep the current one.",
    )
    clear_secret = forms.BooleanField(required=False, label="Remove the secret")
    token = forms.CharField(
        max_length=255,
        required=False,
        widget=forms.PasswordInput(render_value=True),
        label="Verification token",
        help_text="Optional: the URL must answer the verification challenge before it receives events "
        "(leave empty to keep the current one).",
    )
    clear_token = forms.BooleanField(required=False, label="Remove the verification token")
    status = forms.ChoiceField(choices=[("1", "Active"), ("0", "Inactive")], initial="1")
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.STANDARD, label="Type")
    method = forms.ChoiceField(choices=Method.choices, initial=Method.GET)
    params = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=PAIRS_HELP)
    headers = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text=PAIRS_HELP)
    body_format = forms.ChoiceField(choices=BodyFormat.choices, initial=BodyFormat.RAW, label="Body format")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Key=value fields of the body (POST/PUT); empty sends the event's JSON.",
    )

    CUSTOM_FIELDS = ("method", "params", "headers", "body_format", "body")

    def basic_fields(self):
        return [self[name] for name in self.fields if name not in self.CUSTOM_FIELDS]

    def custom_fields(self):
        return [self[name] for name in self.CUSTOM_FIELDS]

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["clear_secret"]
            del self.fields["clear_token"]

    def service_data(self):
        data = dict(self.cleaned_data)
        for name in ("params", "headers", "body"):
            data[name] = parse_pairs(data.get(name))
        for name in ("secret", "token"):
            # Empty keeps the stored value (it is never sent back to the browser); the box clears it.
            if data.pop(f"clear_{name}", False):
                data[name] = ""
            elif not data.get(name) and "clear_secret" in self.fields:
                data.pop(name, None)
        return data

    @classmethod
    def initial_for(cls, webhook):
        return {
            "name": webhook.name,
            "uri": webhook.uri,
            "status": "1" if webhook.is_active else "0",
            "kind": webhook.kind,
            "method": webhook.method,
            "params": format_pairs(webhook.params),
            "headers": format_pairs(webhook.headers),
            "body_format": webhook.body_format,
            "body": format_pairs(webhook.body),
        }


class SubscriptionForm(PageForm):
    event = forms.ChoiceField(choices=())
    identity = forms.CharField(
        max_length=100,
        initial="all",
        help_text="all, or one source: sender:TXTSMS, number:919876543210, keyword:12.",
    )
    webhook_id = forms.ChoiceField(choices=(), label="Webhook")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = registry.choices()
        self.fields["webhook_id"].choices = [
            (str(w.uuid), f"{w.name} ({w.uri})") for w in Webhook.objects.for_account(account).filter(is_active=True)
        ]


class TestEventForm(PageForm):
    event = forms.ChoiceField(choices=(), initial=SMS_MESSAGE_STATUS)

    def __init__(self, *args, webhook=None, **kwargs):
        super().__init__(*args, **kwargs)
        if webhook is not None and webhook.kind == Kind.CUSTOM:
            names = formats.customizable()
        else:
            names = [e.name for e in registry.all()]
        self.fields["event"].choices = [(n, n) for n in names]
