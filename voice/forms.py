"""Page forms of the voice pages (the services validate; forms only shape the input)."""

import json

from django import forms

from portal.pages import PageForm
from voice.services import tts


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
        values = {}
        for line in (self.cleaned_data.get("variables") or "").splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip():
                values[name.strip()] = value.strip()
        return values


class BulkForm(CallForm):
    to = forms.CharField(
        label="Numbers", widget=forms.Textarea(attrs={"rows": 5}), help_text="One number per line (50,000 at most)"
    )

    def numbers(self):
        return [n.strip() for n in self.cleaned_data["to"].replace(",", "\n").splitlines() if n.strip()]


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
