"""The template builder, step by step: which fields each step shows for the draft's kind, each
step's problems, and the phone preview of the draft with its sample values.

A step's problems are the API's own validation (`message_templates.validate`) of the whole draft,
kept to the fields the user has reached: no rule is written twice, and a page refuses exactly
what `POST whatsapp/templates` refuses, with the same words.
"""

import json

from messaging.channels.whatsapp import content, message_templates
from messaging.channels.whatsapp.content import VARIABLE
from messaging.channels.whatsapp.forms import SAMPLE_PREFIX
from messaging.channels.whatsapp.live import Row
from portal.core.errors import ValidationFailed

STEPS = ((1, "Kind and name"), (2, "Content"), (3, "Samples and review"))
LAST = len(STEPS)
STEP_ONE = ("number", "kind", "category", "name", "language")
HEADER_MEDIA = ("image", "video", "document")
BUTTON_FIELDS = {
    "reply": ("reply1", "reply2", "reply3"),
    "actions": ("phone_text", "phone_number", "url_text", "url"),
}
# Selects that change which fields the step shows: the page asks for the step again when they do.
SWITCHES = ("header_type", "buttons")
BUTTON_LIMITED = ("reply1", "reply2", "reply3", "phone_text", "url_text", "otp_text")


def step_from(data):
    """The step a request was made on (1 when missing or not a step)."""
    value = str(data.get("step", "1"))
    return int(value) if value.isdigit() and 1 <= int(value) <= LAST else 1


def fields_of(form, step):
    """The fields step `step` shows for the draft as it stands, in order."""
    if step == 1:
        return list(STEP_ONE)
    kind = form.value_of("kind") or "template"
    if step == 2:
        if kind == "text":
            return ["body"]
        if kind == "json":
            return ["json"]
        if kind == "media":
            return ["media_type", "media_url", "body"]
        if form.value_of("category") == "authentication":
            return ["body", "otp_type", "otp_text", "code_expire"]
        shown = ["header_type"]
        header = form.value_of("header_type")
        if header == "text":
            shown.append("header_text")
        elif header in HEADER_MEDIA:
            shown.append("header_url")
        shown += ["body", "footer", "buttons", *BUTTON_FIELDS.get(form.value_of("buttons"), ())]
        return shown
    return [name for name in form.fields if name.startswith(SAMPLE_PREFIX)]


def step_of(form, name):
    """The step a field belongs to (a field no step shows for this draft counts as the content's)."""
    if name is None or name in STEP_ONE:
        return 1
    return 3 if name.startswith(SAMPLE_PREFIX) else 2


def limits(form):
    """Field -> the number of characters the rules allow (shown as a live count)."""
    kind = form.value_of("kind") or "template"
    found = dict.fromkeys(BUTTON_LIMITED, message_templates.MAX_BUTTON_TEXT)
    found.update(header_text=message_templates.MAX_HEADER, footer=message_templates.MAX_FOOTER)
    body = {"template": message_templates.MAX_BODY, "text": content.MAX_TEXT, "media": content.MAX_CAPTION}.get(kind)
    if body:
        found["body"] = body
    return found


def problems(form, upto, *, only=None, typed_only=False):
    """Field -> messages (None: the step's own) for the fields of steps 1..`upto`: the form's own
    input errors, then the API's validation of the draft for fields without one. `only` keeps one
    step; `typed_only` keeps fields with something typed (the live check does not call an
    untouched field required)."""
    form.is_valid()
    found = {}
    for name, messages in form.errors.items():
        found[None if name == "__all__" else name] = list(messages)
    try:
        message_templates.validate(form.payload())
    except ValidationFailed as exc:
        for path, messages in exc.errors.items():
            target = form.field_for(path)
            if target not in form.errors:
                said = [_named(form, target, path, m) for m in messages]
                found.setdefault(target, []).extend(m for m in said if m not in found.get(target, []))
    kept = {}
    for name, messages in found.items():
        step = step_of(form, name)
        if step > upto or (only is not None and step != only):
            continue
        if typed_only and (name is None or not form.value_of(name).strip()):
            continue
        kept[name] = messages
    return kept


def _named(form, target, path, message):
    """The API's message with its path as the field's label ("The header text may not be greater
    than 60 characters."): the same rule and limit, named as the page names the field."""
    if target is None or path not in message:
        return message
    label = str(form[target].label)
    if not label[1:2].isupper():  # an acronym (JSON) keeps its capitals
        label = label[0].lower() + label[1:]
    return message.replace(path, label, 1)


def first_step(form, found):
    """The earliest step with a problem (where the user is sent back to)."""
    return min((step_of(form, name) for name in found), default=LAST)


def rows(form, step, found=None):
    found = found or {}
    allowed = limits(form)
    return [
        Row(
            field=form[name],
            errors=found.get(name, []),
            length=len(form.value_of(name)),
            limit=allowed.get(name, 0),
            radio=name in ("kind", "category"),
            switch=name in SWITCHES,
        )
        for name in fields_of(form, step)
    ]


def carried(form, step):
    """(name, value) of every field another step shows: sent along hidden, so nothing typed is lost
    going back and forth (a field the draft no longer shows keeps its value too)."""
    shown = set(fields_of(form, step))
    pairs = []
    for name in form.fields:
        if name in shown:
            continue
        value = form.value_of(name)
        if value != "":
            pairs.append((name, value))
    return pairs


def _fill(text, samples):
    return VARIABLE.sub(lambda m: samples.get(m.group(1)) or m.group(0), text or "")


def preview(form):
    """What the customer's phone would show for the draft, sample values in place of variables."""
    d = form.values()
    kind = d.get("kind") or form.value_of("kind") or "template"
    shown = {"header": "", "media": "", "body": "", "footer": "", "buttons": [], "code": False}
    if kind == "json":
        value = d.get("json")
        if not isinstance(value, str):  # the starting value of a copy is still its text
            value = json.dumps(value, indent=2, ensure_ascii=False) if value is not None else ""
        shown["body"] = value
        shown["code"] = True
        return shown
    if kind in ("text", "media"):
        shown["body"] = d.get("body", "")
        if kind == "media":
            shown["media"] = f"{(d.get('media_type') or 'image').title()} · {d.get('media_url') or 'no file yet'}"
        return shown
    samples = form.samples()
    shown["body"] = _fill(d.get("body", ""), samples)
    if d.get("category") == "authentication":
        shown["footer"] = f"This code expires in {d['code_expire']} minutes." if d.get("code_expire") else ""
        shown["buttons"] = [d.get("otp_text") or "Copy code"]
        return shown
    header = d.get("header_type")
    if header == "text":
        shown["header"] = _fill(d.get("header_text", ""), samples)
    elif header:
        shown["media"] = f"{header.title()} · {d.get('header_url') or 'no file yet'}"
    shown["footer"] = d.get("footer", "")
    buttons = d.get("buttons")
    if buttons == "reply":
        shown["buttons"] = [d.get(f"reply{i}") for i in (1, 2, 3) if d.get(f"reply{i}")]
    elif buttons == "actions":
        shown["buttons"] = [d.get(n) for n in ("phone_text", "url_text") if d.get(n)]
    return shown


def review(form):
    """The facts step 3 lists before the template is submitted: (label, value)."""
    d = form.values()
    kind = d.get("kind") or "template"
    labels = dict(form.fields["kind"].choices)
    facts = [
        ("Kind", labels.get(kind, kind).split(":")[0]),
        ("Name", d.get("name", "")),
        ("Category", (d.get("category") or "").capitalize()),
        ("Language", d.get("language", "")),
        ("From", f"+{d['number']}" if d.get("number") else ""),
    ]
    if kind == "template":
        names = form.header_variables + form.body_variables
        facts.append(("Variables", ", ".join(names) if names else "none"))
        facts.append(("Review", "Meta reviews it (minutes to a day); the template page follows the review."))
    else:
        facts.append(("Review", "None: a service template can be sent as soon as it is saved."))
    return facts
