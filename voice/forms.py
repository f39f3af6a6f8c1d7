"""Page forms of the voice pages (the services validate; forms only shape the input)."""

import json

from django import forms

from contacts.recipients import segment_choices
from portal.pages import PageForm
from voice.services import tts
from voice.services.composer import FOLLOW_UPS


def parse_variables(text):
    """Flow variables from the "Name=value" lines of a form field."""
    values = {}
    for line in str(text or "").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            values[name.strip()] = value.strip()
    return values


class CallForm(PageForm):
    bridge = forms.ChoiceField(label="Bridge (caller ID)")
    to = forms.CharField(label="Number", max_length=20, help_text="With the country code, e.g. 919800000001")
    flow = forms.ChoiceField(label="Flow", required=False)
    audio = forms.ChoiceField(label="Or a sound", required=False)
    variables = forms.CharField(
        label="Flow variables",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: Name=value",
    )

    def __init__(self, *args, bridges=(), flows=(), sounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bridge"].choices = [(b.number, b.number) for b in bridges]
        self.fields["flow"].choices = [("", "—")] + [(str(f.pk), f"{f.name} (#{f.pk})") for f in flows]
        self.fields["audio"].choices = [("", "—")] + [(str(s.uuid), s.name) for s in sounds]

    def variables_dict(self):
        return parse_variables(self.cleaned_data.get("variables"))


class BulkForm(CallForm):
    """The voice composer: numbers typed, from a file and from segments, together; the service
    (`voice.services.composer`) resolves and checks them, the form only shapes the input."""

    to = forms.CharField(
        label="Numbers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "919876543210, 447400123456 …"}),
        help_text="With their country code, separated by commas, spaces or new lines (50,000 at most in all).",
    )
    file = forms.FileField(required=False, label="…or a file of numbers", help_text="CSV or TXT, first column.")
    segments = forms.MultipleChoiceField(
        required=False,
        label="…and/or segments",
        widget=forms.CheckboxSelectMultiple,
        help_text="Every member's number that has not unsubscribed from voice calls.",
    )
    name = forms.CharField(max_length=100, required=False, label="Campaign name")
    # A follow-up of an earlier bulk call ("Retry failed", "Call the ones who didn't get it").
    follow_up = forms.CharField(required=False, widget=forms.HiddenInput)
    follow_up_who = forms.ChoiceField(
        required=False, choices=[("", "")] + list(FOLLOW_UPS.items()), widget=forms.HiddenInput
    )

    field_order = ["bridge", "to", "file", "segments", "flow", "audio", "variables", "name"]

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = segment_choices(account) if account is not None else []
        if choices:
            self.fields["segments"].choices = choices
        else:
            del self.fields["segments"]


VOICE_CHOICES = [("", "Default (Joanna, English US)")] + [(v, v) for v in sorted(tts.POLLY_VOICES)]


class TtsForm(PageForm):
    bridge = forms.ChoiceField(label="Bridge (caller ID)")
    to = forms.CharField(label="Number", max_length=20, required=False)
    text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 4}), max_length=tts.MAX_CHARS)
    voiceid = forms.ChoiceField(label="Voice", choices=VOICE_CHOICES, required=False)
    gender = forms.ChoiceField(
        label="Gender", choices=[("", "The voice's own"), ("Female", "Female"), ("Male", "Male")], required=False
    )

    def __init__(self, *args, bridges=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bridge"].choices = [(b.number, b.number) for b in bridges]


class FlowForm(PageForm):
    name = forms.CharField(max_length=100)
    definition = forms.CharField(
        label="Steps (JSON)",
        widget=forms.Textarea(attrs={"rows": 18, "class": "mono", "spellcheck": "false"}),
        help_text='{"steps": [{"id": "hello", "type": "say", "text": "Hi {{Name}}", "next": "menu"}, ...]} — kinds: '
        "play, say, gather, branch, record, bridge, sms, hangup (docs/voice.md)",
    )

    @staticmethod
    def initial_for(flow):
        return {"name": flow.name, "definition": json.dumps(flow.definition, indent=2)}


class TestCallForm(PageForm):
    to = forms.CharField(label="Your number", max_length=20)
    variables = CallForm.base_fields["variables"]

    variables_dict = CallForm.variables_dict


class SoundForm(PageForm):
    name = forms.CharField(max_length=100, required=False)
    audio = forms.FileField(label="Audio file", help_text="wav, mp3, ogg or m4a; 10 MB and 10 minutes at most")


class ConferenceForm(PageForm):
    name = forms.CharField(max_length=100, required=False)
    max_people = forms.IntegerField(label="Max people", min_value=2, max_value=10, initial=10)
    validity = forms.IntegerField(label="Valid for (days)", min_value=7, max_value=365, initial=30)
