"""Sending a service template (`whatsapp/send/template`): the stored text, JSON or media template
with its `{{variables}}` filled from `data`, sent as a free-form message (so inside the window)."""

import json

from messaging.channels.whatsapp.content import VARIABLE, Parsed
from portal.core.errors import FieldErrors


def _fill(text, data, errors):
    def value(match):
        name = match.group(1)
        if name not in data:
            errors.add(f"data.{name}", f"The data.{name} field is required by the template.")
            return ""
        return str(data[name])

    return VARIABLE.sub(value, text or "")


def render(template, data):
    """Parsed content of a service template with `data` filled in (ValidationFailed when a variable is missing)."""
    errors = FieldErrors()
    data = data if isinstance(data, dict) else {}
    doc = template.payload
    if template.type == "text":
        text = _fill(doc["payload"]["text"], data, errors)
        parsed = Parsed("text", {"type": "text", "text": text}, text, True)
    elif template.type == "json":
        text = json.dumps(doc["payload"]["text"], ensure_ascii=False)
        parsed = Parsed("text", {"type": "text", "text": text}, text, True)
    else:
        media = doc["payload"]
        caption = _fill(media.get("caption", ""), data, errors)
        kind = doc["type"]
        content = {"type": kind, "url": media["url"], "caption": caption, "filename": media.get("filename", "")}
        parsed = Parsed(kind, content, caption or media.get("filename") or media["url"], True)
    errors.raise_if_any()
    parsed.content["service_template"] = str(template.uuid)
    return parsed
