"""The Send WhatsApp composer's logic, shared by its preview and its send (the SMS composer's
shape): the message built from the page's fields (`forms.message_of`), every content rule run by
the API's own parser (`content.parse`, `media.resolve`, `adapter.check_parameters`) with each
problem put beside its field in words that name the field and the limit, an approved template's
variables one field each, the audience (`pipeline.compose.audience`) and the send's own dry run,
shown with every channel's summary and button words (`portal.composer`).
"""

import re
from dataclasses import dataclass, field

from accounts.services import credits
from messaging.channels.whatsapp import content, media
from messaging.channels.whatsapp import errors as provider_errors
from messaging.channels.whatsapp.adapter import check_parameters
from messaging.channels.whatsapp.api.channel_request import content_key, outgoing_for
from messaging.channels.whatsapp.forms import message_of
from messaging.channels.whatsapp.live import Row
from messaging.channels.whatsapp.models import TemplateStatus, WhatsappTemplate
from messaging.channels.whatsapp.sending import Outgoing, quote
from messaging.pipeline import compose
from portal.composer import Summary
from portal.core.audience import Audience
from portal.core.errors import DomainError, FieldErrors
from portal.core.tenancy import is_uuid

MEDIA_TYPES = tuple(content.MEDIA)
# The fields each message type shows (the audience fields are always there).
TYPE_FIELDS = {
    "text": ("text",),
    **dict.fromkeys(MEDIA_TYPES, ("media", "media_url", "filename", "text")),
    "interactive": ("text", "buttons"),
    "list": ("text", "list_button", "rows"),
    "location": ("latitude", "longitude", "place", "text"),
    "contacts": ("contact_name", "contact_phone"),
    "template": ("template",),
}
TEXT_LABELS = {"text": "Text", "interactive": "Body", "list": "Body", "location": "Address"}
# A content error's catalogued path -> the composer field it is shown beside.
FIELDS = {
    "message.payload.text": "text",
    "message.payload.caption": "text",
    "message.payload.url": "media_url",
    "message.payload.size": "media",
    "message.payload.id": "media",
    "message.payload.body.payload.text": "text",
    "message.payload.latitude": "latitude",
    "message.payload.longitude": "longitude",
    "message.payload.name.formatted_name": "contact_name",
    "message.payload.name": "template",
    "to": "recipients",
}
WORDS = {
    "text": "text",
    "caption": "caption",
    "url": "media URL",
    "size": "file size",
    "id": "media file",
    "body.payload.text": "body",
    "choices": "choices",
    "latitude": "latitude",
    "longitude": "longitude",
    "name.formatted_name": "contact name",
    "header_params.payload.text": "header value",
    "header_params.payload.url": "header media URL",
    "body_params": "body values",
    "name": "template",  # only a template send names one (a contact's name is always filled in)
}
_BUTTON = re.compile(r"choices\.(\d+)\.payload\.(title|id)$")
_ROW = re.compile(r"choices\.(\d+)\.payload\.rows\.(\d+)(?:\.(title|description))?$")
_PATH = re.compile(r"message\.payload(?:\.[A-Za-z0-9_]+)*")
PREVIEW_RECIPIENTS = 3  # per-recipient messages the summary shows when merge fields make them differ


def approved_templates(account):
    return (
        WhatsappTemplate.objects.for_account(account)
        .filter(type="template", status=TemplateStatus.APPROVED)
        .select_related("number")
        .order_by("name", "id")
    )


def find_template(account, value):
    """The account's approved Meta template by uuid, or None."""
    if not value or not is_uuid(value):
        return None
    return approved_templates(account).filter(uuid=value).first()


@dataclass
class Variable:
    """One value an approved template takes: its header variable (or media URL) or a body variable."""

    name: str
    value: str
    where: str  # header or body
    limit: int = 0
    label: str = ""
    problems: list = field(default_factory=list)

    @property
    def field_name(self):
        return "header_param" if self.where == "header" else f"var_{self.name}"


def template_variables(template, values):
    """The template's values as fields, filled from `values` (`header_param`, `var_<name>`)."""
    found = []
    doc = template.payload or {}
    header = doc.get("header") or {}
    for name in doc.get("header_variables") or []:
        found.append(Variable(name, str(values.get("header_param", "") or ""), "header", 60, f"Header: {{{{{name}}}}}"))
    if header.get("type") in ("image", "video", "document") and not found:
        found.append(
            Variable(
                header["type"], str(values.get("header_param", "") or ""), "header", 0, f"Header {header['type']} URL"
            )
        )
    for name in template.variables or []:
        found.append(Variable(name, str(values.get(f"var_{name}", "") or ""), "body", 0, f"Body: {{{{{name}}}}}"))
    return found


def words(path, message):
    """The API's message with its path in words ("The text may not be greater than 4096
    characters."), so the page names the field as the person sees it."""
    rest = path.removeprefix("message.payload").strip(".")
    name = WORDS.get(rest)
    if name is None and (m := _BUTTON.match(rest)):
        name = f"button {int(m.group(1)) + 1} {m.group(2)}"
    if name is None and (m := _ROW.match(rest)):
        name = f"row {int(m.group(2)) + 1}" + (f" {m.group(3)}" if m.group(3) else "")
    if name is None:
        return message
    return _PATH.sub(name, message, count=1) if path in message else message


@dataclass
class Composition:
    """A composed send: its message, recipients, one Outgoing each, and each field's problems."""

    kind: str
    audience: Audience
    outgoing: list = field(default_factory=list)
    template: object = None
    variables: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)  # field name (or "") -> [messages]
    untouched: int = 0  # problems of fields nobody has typed in yet (the live check keeps them back)
    merged: bool = False  # the message has merge fields: each recipient gets their own
    samples: list = field(default_factory=list)  # the first recipients' Samples (merged only)

    @property
    def problem_count(self):
        return sum(len(m) for m in self.problems.values()) + sum(len(v.problems) for v in self.variables)


def _field_of(kind, path, message, variables):
    if path.startswith("message.payload.header_params"):
        return next((v.field_name for v in variables if v.where == "header"), "template")
    if kind == "list" and path.startswith("message.payload.choices"):
        rest = path.removeprefix("message.payload.choices")
        # The list's button is choices.0's title; the other list rules speak of the rows.
        return "list_button" if rest == ".0.payload.title" or "button" in message else "rows"
    if path.startswith("message.payload.choices"):
        return "buttons"
    return FIELDS.get(path, "")


def _place(composition, errors):
    """Each content problem beside its field; body-parameter problems on the template's body values
    (a missing value on each empty one)."""
    body = [v for v in composition.variables if v.where == "body"]
    for path, messages in errors.items():
        for message in messages:
            said = words(path, message)
            if path == "message.payload.body_params" and body:
                empty = [v for v in body if not v.value.strip()]
                for v in empty or body[-1:]:
                    v.problems.append(said)
                continue
            target = _field_of(composition.kind, path, message, composition.variables)
            variable = next((v for v in composition.variables if v.field_name == target), None)
            if variable is not None:
                variable.problems.append(said)
            else:
                composition.problems.setdefault(target, []).append(said)


def compose_send(account, data, *, files=(), strict=True):
    """Build a send from the composer's fields (`data`: the form's values, `var_*` included). The
    preview (not strict) and the send (strict) call it with the same input.

    Merge fields (`{{first_name}}`, `{{attributes.plan}}`) in the text (caption, body, address)
    and in a template's values are filled per recipient (`personal_outgoing`). The typed message
    is then checked with its merge fields as typed and left empty, and a problem counts for the
    field only when both have it (every recipient would): a length that depends on the values
    is measured on each recipient's message instead."""
    kind = data.get("message_type") or "text"
    template = find_template(account, data.get("template")) if kind == "template" else None
    variables = template_variables(template, data) if template is not None else []
    values = dict(data)
    if template is not None:
        values["body_values"] = [v.value for v in variables if v.where == "body" and v.value.strip()]
        values["header_param"] = next((v.value for v in variables if v.where == "header"), "")
    audience = compose.audience(
        account,
        typed=data.get("recipients", ""),
        files=files,
        segment_ids=data.get("segments") or None,
        channel="whatsapp",
        strict=strict,
    )
    composition = Composition(kind=kind, audience=audience, template=template, variables=variables)
    errors = FieldErrors()
    message = message_of(values, account)
    parsed = content.parse(message, errors)
    composition.merged = uses_merge_fields(message)
    if composition.merged:
        with_empty = FieldErrors()
        content.parse(personal_message(message, {}), with_empty)
        _keep_shared(errors, with_empty)
    media.resolve(account, parsed, errors)
    if kind == "template" and data.get("template") and template is None:
        errors.add("message.payload.name", "The selected template is not one of your approved templates.")
    if template is not None and parsed is not None:
        check_parameters(template, parsed.content["template"], errors)
    _place(composition, errors)
    if parsed is not None and not composition.problem_count:
        sender = data.get("sender", "")
        if composition.merged:
            composition.outgoing, composition.samples = personal_outgoing(
                account, message, parsed, audience.numbers, sender=sender, template=template
            )
        else:
            composition.outgoing = outgoing_for(audience.numbers, parsed, sender=sender)
    return composition


def _keep_shared(errors, other):
    """Keep in `errors` only the problems `other` has too (same path, same words)."""
    for path in list(errors):
        kept = [m for m in errors[path] if m in other.get(path, ())]
        if kept:
            errors[path] = kept
        else:
            del errors[path]


def _map_texts(message, change):
    """The catalogued message with `change(text)` in place of each text that takes merge fields:
    the text, a caption, an interactive message's body, a location's address, a template's body
    values and text header; everything else as typed."""
    kind, payload = message["type"], dict(message["payload"])
    if kind == "text":
        payload["text"] = change(payload.get("text") or "")
    elif kind in content.MEDIA:
        payload["caption"] = change(payload.get("caption") or "")
    elif kind == "interactive":
        payload["body"] = {"type": "text", "payload": {"text": change(payload["body"]["payload"]["text"] or "")}}
    elif kind == "location":
        payload["address"] = change(payload.get("address") or "")
    elif kind == "template":
        payload["body_params"] = [change(str(v)) for v in payload.get("body_params", [])]
        header = payload.get("header_params") or {}
        if header.get("type") == "text":
            payload["header_params"] = {"type": "text", "payload": {"text": change(header["payload"]["text"])}}
    return {"type": kind, "payload": payload}


def uses_merge_fields(message):
    names = []
    _map_texts(message, lambda text: names.extend(compose.merge_names(text)) or text)
    return bool(names)


def personal_message(message, values):
    """The catalogued message with one recipient's contact fields (`values`, as `compose.merge`
    takes them) merged into its texts (`_map_texts`)."""
    return _map_texts(message, lambda text: compose.merge(text, values))


@dataclass
class Sample:
    """One recipient's message as the summary shows it, and why the send refuses it (if it does)."""

    to: str
    text: str
    problem: str = ""
    contact: bool = True  # False: the number is no contact of the account (its merge fields are empty)


def _check_personal(mine, parsed, template):
    """(Parsed, refusal code, problem in words) of one recipient's merged message, by the API's
    own parser; a template value left empty is refused too (Meta takes no empty parameter)."""
    errors = FieldErrors()
    personal = content.parse(mine, errors) or parsed
    if parsed.content.get("media_id"):  # the library's file, checked once (`media.resolve`)
        personal.content["filename"] = personal.content.get("filename") or parsed.content.get("filename", "")
    if mine["type"] == "template":
        payload = mine["payload"]
        names = list(template.variables or []) if template is not None else []
        for i, value in enumerate(payload["body_params"]):
            if not value.strip():
                name = names[i] if i < len(names) else str(i + 1)
                return personal, provider_errors.MERGE_EMPTY, f"The value of {{{{{name}}}}} is empty."
        header = payload.get("header_params") or {}
        if header.get("type") == "text" and not header["payload"]["text"].strip():
            return personal, provider_errors.MERGE_EMPTY, "The header value is empty."
    for path, messages in errors.items():
        said = words(path, messages[0])
        required = messages[0].endswith("field is required.")
        return personal, provider_errors.MERGE_EMPTY if required else provider_errors.MERGE_LIMIT, said
    return personal, "", ""


def shown_text(document, template=None):
    """A recipient's message in words for the summary, as sent (`document`: its content): the
    text, caption, body or address, or the template with its values filled in."""
    kind = document.get("type")
    if kind != "template":
        return str(
            document.get({"text": "text", "interactive": "body", "location": "address"}.get(kind, "caption")) or ""
        )
    sent = document["template"]
    if template is None:
        return " · ".join(sent.get("body") or [])
    by_name = dict(zip(template.variables or [], sent.get("body") or [], strict=False))
    body = content.VARIABLE.sub(lambda m: by_name.get(m.group(1), m.group(0)), template.body or "")
    header = (template.payload or {}).get("header") or {}
    if header.get("type") == "text" and header.get("text"):
        given = (sent.get("header") or {}).get("text", "")
        return content.VARIABLE.sub(lambda m: given or m.group(0), header["text"]) + "\n" + body
    return body


def contact_of(account, number):
    """The merge fields of one number's contact ({} when it is no contact of the account), as
    `personal_outgoing` reads them."""
    return compose.contact_values(account, [number], channel="whatsapp")[0]


def personal_outgoing(account, message, parsed, numbers, *, sender, template=None):
    """One Outgoing per number with that recipient's contact fields merged in (`personal_message`;
    the contact reached on WhatsApp, else the one with that mobile number; none: the fields are
    empty). Each distinct merged message is checked once by the API's parser: one that breaks a
    rule goes to the pipeline with its `refusal`, so the quote and the send answer that recipient
    refused with the reason, uncharged. Returns (outgoing, the first PREVIEW_RECIPIENTS Samples)."""
    checked = {}
    outgoing, samples = [], []
    for to, values in zip(numbers, compose.contact_values(account, numbers, channel="whatsapp"), strict=True):
        mine = personal_message(message, values)
        key = content_key(mine)
        found = checked.get(key)
        if found is None:
            personal, refusal, problem = _check_personal(mine, parsed, template)
            found = checked[key] = (personal, content_key(personal.content), refusal, problem)
        personal, personal_key, refusal, problem = found
        outgoing.append(
            Outgoing(
                to=to,
                sender=sender,
                content=personal.content,
                key=personal_key,
                text=personal.text,
                free_form=personal.free_form,
                refusal=refusal,
            )
        )
        if len(samples) < PREVIEW_RECIPIENTS:
            samples.append(Sample(to, shown_text(personal.content, template), problem, contact=bool(values)))
    return outgoing, samples


def hide_untouched(composition, data):
    """The live check does not call a field nobody has typed in yet required: problems of empty
    fields wait for the send (which refuses them with the same words). A template's values are
    the exception: picking the template asked for them."""
    for name in list(composition.problems):
        if name in TYPE_FIELDS.get(composition.kind, ()) and not str(data.get(name, "") or "").strip():
            composition.untouched += len(composition.problems.pop(name))


def rows(form, kind, composition=None):
    """The fields the message type shows, with their problems and live counts."""
    problems = composition.problems if composition is not None else {}
    data = form.data if form.is_bound else {}
    form_errors = form.errors if form.is_bound else {}
    text_limit = {"text": content.MAX_TEXT, "interactive": content.MAX_TEXT, "list": content.MAX_TEXT}
    text_limit.update(dict.fromkeys(MEDIA_TYPES, content.MAX_CAPTION))
    found = []
    for name in TYPE_FIELDS.get(kind, ()):
        value = str(data.get(name, "") or "")
        errors = list(form_errors.get(name, [])) + problems.get(name, [])
        row = Row(field=form[name], errors=errors, length=len(value))
        if name == "text":
            row.limit = text_limit.get(kind, 0)
        elif name == "buttons":
            row.length, row.limit, row.unit = (
                len([t for t in value.split(",") if t.strip()]),
                content.MAX_BUTTONS,
                "buttons",
            )
        elif name == "rows":
            row.length, row.limit, row.unit = (
                len([r for r in value.splitlines() if r.strip()]),
                content.MAX_ROWS,
                "rows",
            )
        elif name == "list_button":
            row.limit = content.MAX_BUTTON_TITLE
        found.append(row)
    return found


def named(form, found, variables, composition=None):
    """(field label, message) of every problem, for the summary: the field and the rule named."""
    pairs = [(row.field.label, e) for row in found for e in row.errors]
    pairs += [(v.label, p) for v in variables for p in v.problems]
    shown = {row.name for row in found}
    for name, messages in (composition.problems if composition is not None else {}).items():
        if name not in shown:
            label = form.fields[name].label if name in form.fields else "Message"
            pairs += [(label, m) for m in messages]
    return pairs


@dataclass
class Estimate:
    """The composer's summary: the shared `Summary` (button words included) and WhatsApp's parts."""

    summary: Summary
    outside: int = 0
    reasons: list = field(default_factory=list)  # (reason, count)
    by_category: list = field(default_factory=list)  # (category, (count, cost))


def estimate(account, composition):
    """The send's own dry run of the composition: accepted, refused by reason (outside the window
    apart), cost per category. A message with problems is not quoted: the button says so."""
    balance = credits.balance(account)
    count = composition.problem_count
    if count:
        noun = "problem" if count == 1 else "problems"
        problem = f"Fix {count} {noun} in the message first (shown beside the fields)."
        return Estimate(Summary(quoted=False, balance=balance, problem=problem, problems=count))
    if composition.untouched:
        return Estimate(Summary(quoted=False, balance=balance, problem="Write the message to see the cost."))
    if not composition.outgoing:
        problem = composition.audience.problem or "Add numbers to see the cost."
        return Estimate(Summary(quoted=False, balance=balance, problem=problem))
    try:
        plan = quote(account=account, outgoing=composition.outgoing)
    except DomainError as exc:
        problem = next(iter(exc.errors.values()))[0] if getattr(exc, "errors", None) else exc.message
        return Estimate(Summary(quoted=False, balance=balance, problem=problem))
    by_category, outside, reasons = {}, 0, {}
    for row, item in zip(plan.rows, plan.items, strict=True):
        code = item.get("error", {}).get("code")
        if code == provider_errors.OUTSIDE_WINDOW:
            outside += 1
        elif code:
            reasons[item["error"]["reason"]] = reasons.get(item["error"]["reason"], 0) + 1
        else:
            category = row[-1].get("category", "service")
            n, cost = by_category.get(category, (0, 0))
            by_category[category] = (n + 1, cost + row[9])
    summary = Summary(quoted=True, total=plan.total, accepted=plan.accepted, cost=plan.cost, balance=balance)
    return Estimate(summary, outside, sorted(reasons.items()), sorted(by_category.items()))
