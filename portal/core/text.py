"""The one rule for text that arrives from outside (API bodies and query strings, page forms,
uploaded file names): refuse what cannot be stored or written back, before anything runs.

- NUL (U+0000): PostgreSQL's text types cannot hold it; the insert (or a lookup) fails.
- Unpaired surrogates (U+D800-U+DFFF), which JSON's `\\u` escapes can produce: they have no
  UTF-8 form, so neither the database nor the JSON renderer can write them.

Everything else Unicode allows is stored as sent. `check_depth()` bounds a decoded body's
nesting (`check_json_depth()` reads the same bound off a UTF-8 JSON text) and `refusals()` walks
it (dict keys too), all without recursion, so a body nested thousands deep is refused rather than
exhausting the stack.
"""

import re

from portal.core.errors import ValidationFailed

NUL = "NUL characters"
SURROGATE = "unpaired surrogate characters"
# No v2 body nests anywhere near this (segment rules are the deepest, at about 8 levels).
MAX_DEPTH = 32
# The only ways a JSON text can carry the two: `\u0000` and `\uD800`-`\uDFFF` escapes (raw
# control characters and undecodable bytes are parse errors already). `\\u0000` (an escaped
# backslash) matches too; it only costs the full walk.
_JSON_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")
# In a Python str every code unit in the surrogate range is unpaired (a pair is one code point).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class TooDeep(ValueError):
    """A body nests containers deeper than MAX_DEPTH."""

    def __init__(self, max_depth=MAX_DEPTH):
        super().__init__(f"The body is nested more than {max_depth} levels deep.")


def problem(text):
    """What makes `text` unstorable (NUL or SURROGATE), or None."""
    if "\x00" in text:
        return NUL
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE
    return None


def shown(text):
    """A copy of refused text fit for a report or a log (a rejected import row's values): NUL
    and unpaired surrogates become U+FFFD."""
    if problem(text) is None:
        return text
    return _UNSTORABLE.sub("\ufffd", text)


def as_text(value, field):
    """A request value for a text field: text as sent, numbers as written (clients send codes and
    ids as numbers), None as "". A list, an object or a boolean is a ValidationFailed on `field`
    ("The service must be a string."), as a wrong type should be, not a crash in `.strip()`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValidationFailed({field: [f"The {field.replace('_', ' ')} must be a string."]})


def message(field, what):
    """The refusal on `field`, in the API's validation wording."""
    return f"The {field.replace('_', ' ')} may not contain {what}."


def json_may_hold_unsafe(raw):
    """False when a raw JSON body cannot decode to an unsafe string (the walk can skip strings)."""
    return _JSON_SUSPECT.search(raw) is not None


# What `check_json_depth` keeps of a JSON text: quotes and brackets (every other byte, UTF-8
# continuation bytes included, can be neither).
_NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')
_STRINGS = re.compile(rb'"[^"]*"')


def check_json_depth(raw, max_depth=MAX_DEPTH):
    """`check_depth` read off a valid JSON text in UTF-8 (call it after a successful parse) in a
    few passes of C over bytes instead of a Python walk over every container (~5 ms instead of
    ~0.15 s for a 100,000-node send body). Escaped backslashes and quotes go first; then only
    quotes and brackets are kept, strings dropped (a `""` is an empty string or the seam of two
    adjacent ones: removing it leaves every bracket on its side of a quote), and the innermost
    pairs removed one level per pass: the passes are the nesting depth."""
    marks = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_MARKS).replace(b'""', b"")
    if b'"' in marks:
        marks = _STRINGS.sub(b"", marks)
    depth = 0
    while marks:
        depth += 1
        if depth > max_depth:
            raise TooDeep(max_depth)
        # Placeholders first, so a pair that closes around a removed one waits for the next pass.
        marks = marks.replace(b"{}", b"\x00").replace(b"[]", b"\x00").replace(b"\x00", b"")


def check_depth(data, max_depth=MAX_DEPTH):
    """Raise TooDeep if dicts and lists nest deeper than `max_depth` (level by level, no recursion;
    ~0.15 s for a 100,000-node send body)."""
    level, depth = [data], 0
    while level:
        depth += 1
        if depth > max_depth:
            raise TooDeep(max_depth)
        below = []
        for value in level:
            if type(value) is dict:
                value = value.values()
            elif type(value) is not list:
                continue
            below.extend([v for v in value if type(v) in (dict, list)])
        level = below


def refusals(data, *, prefix=""):
    """{field: [message]} for every unsafe string in decoded `data`: nested fields as dot paths
    (`nodes.3.message`); an unsafe key is reported on its container, never echoed. Bound the
    depth first (check_depth): the walk keeps a stack of every open container."""
    errors = {}

    def refuse(path, what):
        errors.setdefault(path or "body", [message(path or "body", what)])

    if isinstance(data, str):
        if what := problem(data):
            refuse(prefix, what)
        return errors
    stack = [(data, prefix)]
    while stack:
        value, path = stack.pop()
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            if isinstance(key, str) and (what := problem(key)):
                refuse(path, what)
                continue
            if isinstance(item, str):
                if what := problem(item):
                    refuse(f"{path}.{key}" if path else str(key), what)
            elif isinstance(item, dict | list | tuple):
                stack.append((item, f"{path}.{key}" if path else str(key)))
    return dict(sorted(errors.items()))


def pair_refusals(pairs):
    """{name: [message]} for (name, value) pairs such as a query string's or a form's."""
    errors = {}
    for name, value in pairs:
        what = problem(name)
        if what:
            # The name itself cannot be echoed: report it under a stand-in.
            errors.setdefault("parameter", [message("parameter name", what)])
            continue
        what = problem(value) if isinstance(value, str) else None
        if what:
            errors.setdefault(name, [message(name, what)])
    return errors
