"""`{{variables}}` in flow text: dotted names, `{{a.[b].c}}` indirection and the catalogued filters.

    render("Hello {{ name | upcase }}", {"name": "asha"}) -> "Hello ASHA"
    names_used("Hi {{caller.name | default: 'there'}}") -> {"caller.name"}

A name starts with a letter and holds letters, digits and underscores; `[b]` inside a path is replaced
by the value of the variable `b` (so `{{prices.[plan]}}` reads `prices.<value of plan>`). Filters take
arguments after a colon, separated by commas, quoted or not. Unknown filters and malformed
placeholders are `TemplateError`s, reported when a flow is saved (`check`) rather than mid-call.
"""

import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import quote_plus

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
NAME = r"[A-Za-z][A-Za-z0-9_]*"
SEGMENT = rf"(?:{NAME}|\[{NAME}(?:\.{NAME})*\])"
PATH = re.compile(rf"^{SEGMENT}(?:\.{SEGMENT})*$")
ARG = re.compile(r"""\s*("(?:[^"]*)"|'(?:[^']*)'|[^,]+?)\s*(?:,|$)""")


class TemplateError(ValueError):
    pass


def _number(value):
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TemplateError(f"{value!r} is not a number") from None


def _plain(number):
    """A Decimal as text without a trailing `.0` for whole values (Liquid prints 3, not 3.0)."""
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


def _date_format(value, fmt="%Y-%m-%d %H:%M:%S"):
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromtimestamp(int(text)) if text.isdigit() else datetime.fromisoformat(text)
        except ValueError:
            raise TemplateError(f"{value!r} is not a date") from None
    return moment.strftime(fmt)


def _slice(value, start, length=1):
    start, length = int(_number(start)), int(_number(length))
    return str(value)[start : start + length]


FILTERS = {
    "append": lambda v, s="": f"{v}{s}",
    "ceil": lambda v: _plain(Decimal(math.ceil(_number(v)))),
    "date_format": _date_format,
    "default": lambda v, d="": v if str(v) != "" else d,
    "divided_by": lambda v, n: _plain(_number(v) / _number(n)) if _number(n) else "",
    "downcase": lambda v: str(v).lower(),
    "escape": lambda v: str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"),
    "first": lambda v: v[0] if isinstance(v, list) and v else str(v)[:1],
    "floor": lambda v: _plain(Decimal(math.floor(_number(v)))),
    "lstrip": lambda v: str(v).lstrip(),
    "minus": lambda v, n: _plain(_number(v) - _number(n)),
    "modulo": lambda v, n: _plain(_number(v) % _number(n)) if _number(n) else "",
    "plus": lambda v, n: _plain(_number(v) + _number(n)),
    "prepend": lambda v, s="": f"{s}{v}",
    "round": lambda v, places=0: _plain(round(_number(v), int(_number(places)))),
    "rstrip": lambda v: str(v).rstrip(),
    "size": lambda v: str(len(v) if isinstance(v, list | dict) else len(str(v))),
    "slice": _slice,
    "split": lambda v, sep=" ": str(v).split(sep),
    "strip": lambda v: str(v).strip(),
    "times": lambda v, n: _plain(_number(v) * _number(n)),
    "upcase": lambda v: str(v).upper(),
    "upper": lambda v: str(v).upper(),  # the catalog's examples spell upcase this way too
    "url_encode": lambda v: quote_plus(str(v)),
}


def _parse(expression):
    """(path, [(filter, [args])]) of one placeholder's inside."""
    parts = [p.strip() for p in expression.split("|")]
    path = parts[0]
    if not PATH.match(path):
        raise TemplateError(f"'{{{{{expression.strip()}}}}}' is not a variable name")
    filters = []
    for part in parts[1:]:
        name, _, rest = part.partition(":")
        name = name.strip()
        if name not in FILTERS:
            raise TemplateError(f"unknown filter '{name}'")
        args = [m.group(1).strip("\"'") for m in ARG.finditer(rest) if m.group(1).strip()] if rest.strip() else []
        filters.append((name, args))
    return path, filters


def placeholders(text):
    """Every placeholder of `text` parsed; raises TemplateError on the first bad one."""
    text = str(text or "")
    if text.count("{{") != text.count("}}"):
        raise TemplateError("unbalanced {{ }}")
    return [_parse(m.group(1)) for m in PLACEHOLDER.finditer(text)]


def _segments(path):
    return re.findall(rf"\[{NAME}(?:\.{NAME})*\]|{NAME}", path)


def names_used(text):
    """The variable names a text reads: each placeholder's path up to the first indirection, plus
    the names inside its `[...]`."""
    names = set()
    for path, _ in placeholders(text):
        plain = []
        for segment in _segments(path):
            if segment.startswith("["):
                names.add(segment[1:-1])
                break
            plain.append(segment)
        if plain:
            names.add(".".join(plain))
    return names


def lookup(context, path):
    """The value at a dotted path ("" when absent); flat keys with dots ("caller.name") win over nesting."""
    if path in context:
        return context[path]
    value = context
    for segment in _segments(path):
        key = str(lookup(context, segment[1:-1])) if segment.startswith("[") else segment
        if isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return ""
    return value


def render(text, context):
    def substitute(match):
        path, filters = _parse(match.group(1))
        value = lookup(context, path)
        for name, args in filters:
            try:
                value = FILTERS[name](value, *args)
            except TypeError:
                raise TemplateError(f"wrong number of arguments for '{name}'") from None
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(substitute, str(text or ""))
