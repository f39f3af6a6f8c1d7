"""What a WhatsApp message may contain, per catalogued `message.type`, and the content document
stored with each message (`Message.content`) from which the connector builds the Graph API body.

`parse(message, errors)` checks the request's `message` object field by field (errors keyed by
their dotted path, `message.payload.text`) and returns a `Parsed`: the content document, the text
kept for search, and whether it is free-form (needs an open customer-service window) or a Meta
template (`template`, checked against the stored template at scrub time).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

TYPES = ("text", "image", "document", "audio", "video", "interactive", "contacts", "location", "template")
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_BODY_PARAMS = 1024  # characters, all body parameters together
# Media limits (catalog): size in bytes and the accepted file types. The size is checked when a
# size is known (an upload, or the `size` the caller states); a URL's type by its extension.
MEDIA = {
    "image": (5 * 1024 * 1024, ("jpg", "jpeg", "png")),
    "audio": (16 * 1024 * 1024, ("aac", "mp4", "m4a", "amr", "mp3", "mpeg", "opus")),
    "video": (16 * 1024 * 1024, ("mp4", "3gp", "3gpp")),
    "document": (100 * 1024 * 1024, None),  # any type that is not image/audio/video
}
_MEDIA_EXTENSIONS = {ext for kind, (_, exts) in MEDIA.items() if exts for ext in exts}
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
CONTACT_PARTS = ("addresses", "phones", "emails", "urls", "name", "org")
HSM_COMPONENTS = ("header", "body", "button")
HSM_PARAMETER_TYPES = ("text", "currency", "date_time", "image", "document", "video", "payload")


@dataclass
class Parsed:
    kind: str  # the message.type
    content: dict  # stored in Message.content
    text: str  # stored in Message.text (search, repetition rule)
    free_form: bool  # needs the customer-service window


def _text(value):
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _obj(value):
    return value if isinstance(value, dict) else {}


def _required(payload, name, path, errors):
    value = _text(payload.get(name)).strip()
    if not value:
        errors.add(f"{path}.{name}", f"The {path}.{name} field is required.")
    return value


def _max(value, limit, path, errors):
    if len(value) > limit:
        errors.add(path, f"The {path} may not be greater than {limit} characters.")


def _url(value, path, errors):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors.add(path, f"The {path} must be a valid http(s) URL.")
        return ""
    return parts.path.rsplit(".", 1)[-1].lower() if "." in parts.path.rsplit("/", 1)[-1] else ""


def media_extensions():
    return set(_MEDIA_EXTENSIONS)


def check_media(kind, payload, path, errors, allow_id=False):
    """A media object (`url`, optional `size` in bytes, `caption`, `filename`) within the
    catalogued limits of its kind; or `id`, a file uploaded to the media library (checked when
    it was uploaded; the send checks it is the account's, `media.resolve`)."""
    ident = _text(payload.get("id")).strip()
    if allow_id and ident and not payload.get("url"):
        caption = _text(payload.get("caption"))
        _max(caption, MAX_CAPTION, f"{path}.caption", errors)
        return {"media_id": ident, "url": "", "caption": caption, "filename": _text(payload.get("filename"))}
    url = _required(payload, "url", path, errors)
    limit, extensions = MEDIA[kind]
    if url:
        extension = _url(url, f"{path}.url", errors)
        if extension and extensions and extension not in extensions:
            errors.add(f"{path}.url", f"The {kind} must be a file of type: {', '.join(extensions)}.")
        if kind == "document" and extension in _MEDIA_EXTENSIONS - {"mp4"}:
            errors.add(f"{path}.url", "A document may not be an image, audio or video file.")
        if kind == "audio" and extension == "ogg":
            errors.add(f"{path}.url", "Audio in a base ogg container is not supported (opus codec only).")
    size = payload.get("size")
    if size not in (None, ""):
        try:
            size = int(size)
        except (TypeError, ValueError):
            errors.add(f"{path}.size", f"The {path}.size must be an integer.")
        else:
            if size > limit:
                errors.add(f"{path}.size", f"The {kind} may not be greater than {limit // (1024 * 1024)} MB.")
    caption = _text(payload.get("caption"))
    _max(caption, MAX_CAPTION, f"{path}.caption", errors)
    media = {"url": url, "caption": caption, "filename": _text(payload.get("filename"))}
    if kind == "image" and payload.get("thumbnail"):
        media["thumbnail"] = _text(payload.get("thumbnail"))
    return media


def _interactive(payload, errors):
    path = "message.payload"
    style = _text(payload.get("type"))
    if style not in ("reply", "list"):
        errors.add(f"{path}.type", f"The selected {path}.type is invalid (reply, list).")
        return {}
    header = _text(_obj(_obj(payload.get("header")).get("payload")).get("text"))
    _max(header, 60, f"{path}.header.payload.text", errors)
    body = _text(_obj(_obj(payload.get("body")).get("payload")).get("text"))
    if not body.strip():
        errors.add(f"{path}.body.payload.text", f"The {path}.body.payload.text field is required.")
    _max(body, MAX_TEXT, f"{path}.body.payload.text", errors)
    choices = payload.get("choices") if isinstance(payload.get("choices"), list) else []
    if not choices:
        errors.add(f"{path}.choices", f"The {path}.choices field is required.")
    content = {"style": style, "header": header, "body": body}
    if style == "reply":
        if len(choices) > MAX_BUTTONS:
            errors.add(f"{path}.choices", f"At most {MAX_BUTTONS} reply buttons.")
        buttons, ids = [], set()
        for i, choice in enumerate(choices):
            button = _obj(_obj(choice).get("payload"))
            title, ident = _text(button.get("title")).strip(), _text(button.get("id")).strip()
            if not title:
                errors.add(f"{path}.choices.{i}.payload.title", "The reply button title is required.")
            _max(title, MAX_BUTTON_TITLE, f"{path}.choices.{i}.payload.title", errors)
            if not ident or ident in ids:
                errors.add(f"{path}.choices.{i}.payload.id", "Each reply button needs an id of its own.")
            ids.add(ident)
            buttons.append({"id": ident, "title": title})
        content["buttons"] = buttons
        return content
    button = {}
    sections = []
    for i, choice in enumerate(choices):
        choice = _obj(choice)
        data = _obj(choice.get("payload"))
        if choice.get("type") == "button":
            button = {"title": _text(data.get("title"))}
            _max(button["title"], MAX_BUTTON_TITLE, f"{path}.choices.{i}.payload.title", errors)
        rows = data.get("rows") if isinstance(data.get("rows"), list) else []
        if choice.get("type") in ("button", "section") and rows:
            section = {"title": _text(data.get("title")), "rows": []}
            for j, row in enumerate(rows):
                row = _obj(row)
                at = f"{path}.choices.{i}.payload.rows.{j}"
                entry = {k: _text(row.get(k)).strip() for k in ("id", "title", "description")}
                if not entry["id"] or not entry["title"]:
                    errors.add(at, "Each row needs an id and a title.")
                _max(entry["title"], MAX_ROW_TITLE, f"{at}.title", errors)
                _max(entry["description"], MAX_ROW_DESCRIPTION, f"{at}.description", errors)
                section["rows"].append(entry)
            sections.append(section)
    if not button.get("title"):
        errors.add(f"{path}.choices", "A list needs a choice of type button with a title.")
    if sum(len(s["rows"]) for s in sections) > MAX_ROWS:
        errors.add(f"{path}.choices", f"A list may have at most {MAX_ROWS} rows in all.")
    if not sections:
        errors.add(f"{path}.choices", "A list needs at least one row.")
    content.update(button=button["title"] if button else "", sections=sections)
    return content


def _contacts(payload, errors):
    path = "message.payload"
    contact = {}
    for part in CONTACT_PARTS:
        value = payload.get(part)
        if part in ("name", "org"):
            if not isinstance(value, dict) or not value:
                errors.add(f"{path}.{part}", f"The {path}.{part} field is required.")
                value = {}
            contact[part] = {k: _text(v) for k, v in value.items()}
        else:
            if not isinstance(value, list) or not value:
                errors.add(f"{path}.{part}", f"The {path}.{part} field is required.")
                value = []
            contact[part] = [{k: _text(v) for k, v in _obj(item).items()} for item in value]
    if not contact["name"].get("formatted_name") and not contact["name"].get("first_name"):
        errors.add(f"{path}.name.formatted_name", "The contact needs a formatted_name or a first_name.")
    birthday = _text(payload.get("birthday"))
    if birthday:
        try:
            datetime.strptime(birthday, "%Y-%m-%d")
        except ValueError:
            errors.add(f"{path}.birthday", f"The {path}.birthday does not match the format Y-m-d.")
        contact["birthday"] = birthday
    return {"contacts": [contact]}


def _number(value, name, low, high, path, errors):
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add(f"{path}.{name}", f"The {path}.{name} field is required and must be a number.")
        return None
    if not low <= number <= high:
        errors.add(f"{path}.{name}", f"The {path}.{name} must be between {low} and {high}.")
    return number


def _location(payload, errors):
    path = "message.payload"
    return {
        "latitude": _number(payload.get("latitude"), "latitude", -90, 90, path, errors),
        "longitude": _number(payload.get("longitude"), "longitude", -180, 180, path, errors),
        "name": _text(payload.get("name")),
        "address": _text(payload.get("address")),
    }


def _template(payload, errors):
    """A Meta template send: the simple form (`header_params`, `body_params`) or the HSM form
    (`components[]`). The template's own rules (how many parameters, approval) are checked
    against the stored template when scrubbing."""
    path = "message.payload"
    name = _required(payload, "name", path, errors)
    language = _text(payload.get("language")).strip() or "en"
    if "components" in payload:
        return {"name": name, "language": language, "components": _components(payload.get("components"), errors)}
    header = payload.get("header_params")
    header_param = None
    if header not in (None, "", [], {}):
        header = _obj(header[0] if isinstance(header, list) and header else header)
        kind = _text(header.get("type"))
        data = _obj(header.get("payload"))
        if kind == "text":
            header_param = {"type": "text", "text": _required(data, "text", f"{path}.header_params.payload", errors)}
            _max(header_param["text"], 60, f"{path}.header_params.payload.text", errors)
        elif kind in ("image", "video", "document"):
            media = check_media(kind, data, f"{path}.header_params.payload", errors)
            header_param = {"type": kind, "url": media["url"], "filename": media["filename"]}
        else:
            errors.add(
                f"{path}.header_params.type", "The header_params type is invalid (text, image, video, document)."
            )
    body = payload.get("body_params", [])
    if not isinstance(body, list) or not all(isinstance(v, str | int | float) for v in body):
        errors.add(f"{path}.body_params", f"The {path}.body_params must be an array of strings.")
        body = []
    body = [_text(v) for v in body]
    if sum(map(len, body)) > MAX_BODY_PARAMS:
        errors.add(f"{path}.body_params", f"The body parameters may not be greater than {MAX_BODY_PARAMS} characters.")
    return {"name": name, "language": language, "header": header_param, "body": body}


def _components(value, errors):
    path = "message.payload.components"
    if not isinstance(value, list):
        errors.add(path, f"The {path} must be an array.")
        return []
    components = []
    for i, raw in enumerate(value):
        raw = _obj(raw)
        kind = _text(raw.get("type")).lower()
        if kind not in HSM_COMPONENTS:
            errors.add(f"{path}.{i}.type", f"The {path}.{i}.type is invalid (header, body, button).")
        params = raw.get("parameters") if isinstance(raw.get("parameters"), list) else []
        for j, param in enumerate(params):
            if _text(_obj(param).get("type")) not in HSM_PARAMETER_TYPES:
                errors.add(f"{path}.{i}.parameters.{j}.type", "The parameter type is invalid.")
        component = {"type": kind, "parameters": [_obj(p) for p in params]}
        if kind == "button":
            sub_type = _text(raw.get("sub_type")).lower()
            if sub_type not in ("quick_reply", "url"):
                errors.add(f"{path}.{i}.sub_type", "The button sub_type is invalid (quick_reply, url).")
            component.update(sub_type=sub_type, index=_text(raw.get("index") or "0"))
        components.append(component)
    return components


def parse(message, errors):
    """The request's `message` object → Parsed (errors added to `errors`, a FieldErrors)."""
    message = _obj(message)
    kind = _text(message.get("type"))
    payload = message.get("payload")
    if kind not in TYPES:
        errors.add("message.type", f"The selected message.type is invalid ({', '.join(TYPES)}).")
        return None
    if not isinstance(payload, dict):
        errors.add("message.payload", "The message.payload field is required.")
        return None
    path = "message.payload"
    if kind == "text":
        text = _required(payload, "text", path, errors)
        _max(text, MAX_TEXT, f"{path}.text", errors)
        return Parsed(kind, {"type": kind, "text": text}, text, True)
    if kind in MEDIA:
        media = check_media(kind, payload, path, errors, allow_id=True)
        text = media["caption"] or media["filename"] or media["url"] or media.get("media_id", "")
        return Parsed(kind, {"type": kind, **media}, text, True)
    if kind == "interactive":
        content = _interactive(payload, errors)
        return Parsed(kind, {"type": kind, **content}, content.get("body", ""), True)
    if kind == "contacts":
        content = _contacts(payload, errors)
        name = content["contacts"][0]["name"].get("formatted_name", "")
        return Parsed(kind, {"type": kind, **content}, name, True)
    if kind == "location":
        content = _location(payload, errors)
        return Parsed(kind, {"type": kind, **content}, content["name"] or content["address"], True)
    template = _template(payload, errors)
    # The text kept for search and for the repetition rule: the template and its values (two
    # one-time passwords to one number are different messages).
    hsm = [p["text"] for c in template.get("components", ()) for p in c["parameters"] if "text" in p]
    values = template.get("body") or hsm
    text = f"{template['name']}: {' · '.join(values)}" if values else template["name"]
    return Parsed(kind, {"type": kind, "template": template}, text, False)


VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
