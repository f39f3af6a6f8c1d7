"""DLT template content rules (pure Python: no Django).

Templates use `{{name}}` variables; DLT's own `{#var#}` placeholders are converted on the way in.
"""

import re

MAX_VARIABLE_LENGTH = 30  # DLT's limit on one variable's value at send time
MIN_FIXED_CHARACTERS = 6
MAX_BODY_LENGTH = 2000
TYPES_NEEDING_VARIABLES = {"T", "SI", "SE"}

VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
VALID_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
DLT_VARIABLE = re.compile(r"\{#\s*([A-Za-z0-9_]*)\s*#\}")


def normalize_body(body):
    """Convert DLT `{#var#}` placeholders to `{{var1}}`, `{{var2}}`, ... (names that are free)."""
    body = (body or "").replace("\r\n", "\n")
    taken = set(variables(body))
    counter = 0

    def replace(_match):
        nonlocal counter
        while True:
            counter += 1
            name = f"var{counter}"
            if name not in taken:
                taken.add(name)
                return "{{" + name + "}}"

    body = DLT_VARIABLE.sub(replace, body)
    return VARIABLE.sub(lambda m: "{{" + m.group(1) + "}}", body)


def variables(body):
    """Variable names in order of appearance."""
    return [m.group(1) for m in VARIABLE.finditer(body or "")]


def fixed_text(body):
    return VARIABLE.sub("", body or "")


def validate_body(body, *, template_type=None):
    """Problems with a template body, as messages a customer can act on ([] when valid)."""
    body = body or ""
    if not body.strip():
        return ["The template body is required."]
    problems = []
    if len(body) > MAX_BODY_LENGTH:
        problems.append(f"The template may not be longer than {MAX_BODY_LENGTH} characters.")
    names = variables(body)
    bad = [n for n in names if not VALID_NAME.match(n)]
    if bad:
        problems.append(
            "Variable names must start with a letter and use only letters and digits: "
            + ", ".join("{{" + n + "}}" for n in bad)
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append("Variable names must be distinct: " + ", ".join("{{" + n + "}}" for n in dupes))
    rest = fixed_text(body)
    if "{{" in rest or "}}" in rest or "{#" in rest or "#}" in rest:
        problems.append("Write variables as {{name}}: a brace is unbalanced.")
    if "  " in body:
        problems.append("The template must not contain two consecutive spaces.")
    if "<" in body or ">" in body:
        problems.append("The characters < and > are not allowed.")
    fixed = len("".join(rest.split()))
    if fixed < MIN_FIXED_CHARACTERS:
        problems.append(f"A template needs at least {MIN_FIXED_CHARACTERS} fixed characters besides variables.")
    if (template_type or "").upper() in TYPES_NEEDING_VARIABLES and not names:
        problems.append("Transactional and service templates must contain at least one variable.")
    return problems
