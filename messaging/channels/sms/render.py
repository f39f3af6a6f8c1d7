"""Fill a template's `{{variables}}` from a request's `data`."""

from messaging.dlt.rules import VARIABLE


def render_template(body, data):
    """(text, missing variable names). Values are used as given (the send path checks lengths)."""
    missing = []

    def value(match):
        name = match.group(1)
        if name not in data or data[name] in (None, ""):
            missing.append(name)
            return ""
        return str(data[name])

    return VARIABLE.sub(value, body), missing
