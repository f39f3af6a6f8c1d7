"""A flow ("Studio" journey) as stored: `{"start": id, "steps": [step, ...]}`, and its validation.

Each step is `{"id": name, "type": kind, ...}`; its exits name other steps. A missing exit ends
the call after the step. Kinds and their fields (`STEP_KINDS`):

    play    audio (sound id or http(s) URL); next
    say     text (with {{variables}}), voice (Polly id), language, gender, loops, pause (s); next
    gather  digits (1-20), timeout (s), finish_on_key, prompt (spoken first); next.
            Sets `<id>.digits` and appends to `dtmf`.
    branch  value (a template, e.g. "{{menu.digits}}"), cases {value: step}, default
    record  max_seconds (1-600); next. Sets `<id>.recording`.
    bridge  numbers [...], strategy (parallel, sequential, random, fewest), timeout (ring s),
            record; next (after the bridged talk), failed (nobody answered). Sets `outgoing.*`.
    sms     to (default "{{to}}"), sender, text; next. Sent through the SMS pipeline.
    hangup  -

`validate(definition)` returns the normalised definition or raises ValidationFailed keyed
`steps.<index>.<field>` / `flow`: unknown kinds or steps, unreachable steps, loops that can never
reach an end, loops with no input step in them (they would spin without the caller changing
anything), bad templates. `variables_of(definition)` names the flow variables a call must supply.
"""

from portal.core.errors import FieldErrors
from voice.flows import template

STRATEGIES = ("parallel", "sequential", "random", "fewest")
MAX_STEPS = 100
# Per kind: the fields naming another step.
EXITS = {
    "play": ("next",),
    "say": ("next",),
    "gather": ("next",),
    "branch": ("default",),  # + every case's target
    "record": ("next",),
    "bridge": ("next", "failed"),
    "sms": ("next",),
    "hangup": (),
}
STEP_KINDS = tuple(EXITS)
INPUT_KINDS = {"gather", "record", "bridge"}  # steps whose outcome the caller (or callee) decides
TEXT_FIELDS = {"say": ("text",), "gather": ("prompt",), "branch": ("value",), "sms": ("to", "text"), "play": ()}

GLOBAL_VARIABLES = {
    "id",
    "from",
    "to",
    "bridge",
    "start_at",
    "end_at",
    "date",
    "unixtime",
    "dtmf",
    "caller.country",
    "caller.provider",
    "caller.region",
    "caller.name",
    "caller.email",
}
STEP_VARIABLES = {
    f"outgoing.{name}"
    for name in (
        "id",
        "parent_id",
        "from",
        "to",
        "caller_id",
        "start_at",
        "end_at",
        "country",
        "duration",
        "billing",
        "status",
        "hangup_by",
    )
}


def _int(step, field, low, high, default, errors, where):
    value = step.get(field, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.add(f"{where}.{field}", f"The {field} must be a whole number.")
        return default
    if not low <= number <= high:
        errors.add(f"{where}.{field}", f"The {field} must be between {low} and {high}.")
    return number


def _text(step, field, errors, where, *, required=False, limit=2000):
    value = step.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        errors.add(f"{where}.{field}", f"The {field} must be text.")
        return ""
    value = str(value)
    if required and not value.strip():
        errors.add(f"{where}.{field}", f"The {field} field is required.")
    elif len(value) > limit:
        errors.add(f"{where}.{field}", f"The {field} may not be greater than {limit} characters.")
    else:
        try:
            template.placeholders(value)
        except template.TemplateError as exc:
            errors.add(f"{where}.{field}", f"The {field} has a bad placeholder: {exc}.")
    return value


def _normalise_step(step, where, errors):
    kind = str(step.get("type", "")).strip().lower()
    clean = {"id": str(step.get("id", "")).strip(), "type": kind}
    if not template.PATH.match(clean["id"]) or "." in clean["id"] or len(clean["id"]) > 40:
        errors.add(f"{where}.id", "The id must start with a letter and hold letters, digits or _ (40 at most).")
    if kind not in EXITS:
        errors.add(f"{where}.type", f"The type must be one of {', '.join(STEP_KINDS)}.")
        return clean
    for exit_field in EXITS[kind]:
        target = step.get(exit_field)
        clean[exit_field] = str(target).strip() if target not in (None, "") else None
    if kind == "play":
        clean["audio"] = _text(step, "audio", errors, where, required=True, limit=1000)
    elif kind == "say":
        clean["text"] = _text(step, "text", errors, where, required=True)
        clean["voice"] = _text(step, "voice", errors, where, limit=40)
        clean["language"] = _text(step, "language", errors, where, limit=10)
        clean["gender"] = _text(step, "gender", errors, where, limit=6).lower()
        clean["loops"] = _int(step, "loops", 1, 10, 1, errors, where)
        clean["pause"] = _int(step, "pause", 0, 10, 0, errors, where)  # seconds of silence after each loop
    elif kind == "gather":
        clean["prompt"] = _text(step, "prompt", errors, where)
        clean["digits"] = _int(step, "digits", 1, 20, 1, errors, where)
        clean["timeout"] = _int(step, "timeout", 1, 30, 5, errors, where)
        clean["finish_on_key"] = _text(step, "finish_on_key", errors, where, limit=1)
        if clean["finish_on_key"] and clean["finish_on_key"] not in "#*":
            errors.add(f"{where}.finish_on_key", "The finish_on_key must be # or *.")
    elif kind == "branch":
        clean["value"] = _text(step, "value", errors, where, required=True)
        cases = step.get("cases") or {}
        if not isinstance(cases, dict) or not cases:
            errors.add(f"{where}.cases", "The cases must map at least one value to a step.")
            cases = {}
        clean["cases"] = {str(k): str(v).strip() for k, v in cases.items()}
    elif kind == "record":
        clean["max_seconds"] = _int(step, "max_seconds", 1, 600, 60, errors, where)
    elif kind == "bridge":
        numbers = step.get("numbers") or []
        if isinstance(numbers, str):
            numbers = [n for n in numbers.replace("\n", ",").split(",") if n.strip()]
        if not isinstance(numbers, list) or not numbers or len(numbers) > 10:
            errors.add(f"{where}.numbers", "The numbers must list 1 to 10 numbers.")
            numbers = []
        clean["numbers"] = [str(n).strip() for n in numbers]
        for number in clean["numbers"]:
            try:
                template.placeholders(number)
            except template.TemplateError as exc:
                errors.add(f"{where}.numbers", f"The numbers have a bad placeholder: {exc}.")
        clean["strategy"] = str(step.get("strategy") or "sequential").lower()
        if clean["strategy"] not in STRATEGIES:
            errors.add(f"{where}.strategy", f"The strategy must be one of {', '.join(STRATEGIES)}.")
        clean["timeout"] = _int(step, "timeout", 5, 120, 30, errors, where)
        clean["record"] = bool(step.get("record"))
    elif kind == "sms":
        clean["to"] = _text(step, "to", errors, where, limit=200) or "{{to}}"
        clean["sender"] = _text(step, "sender", errors, where, required=True, limit=20)
        clean["text"] = _text(step, "text", errors, where, required=True)
    return clean


def exits_of(step):
    targets = [step.get(field) for field in EXITS.get(step["type"], ())]
    if step["type"] == "branch":
        targets += list(step.get("cases", {}).values())
    return [t for t in targets if t]


def ends_here(step):
    """Whether the call can end at this step (a hangup, or an exit left open)."""
    if step["type"] == "hangup":
        return True
    if step["type"] == "branch":
        return not step.get("default")
    if step["type"] == "bridge":
        return not step.get("next") or not step.get("failed")
    return not step.get("next")


def _reachable(start, by_id):
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        todo.extend(exits_of(by_id[current]))
    return seen


def _can_end(by_id):
    """Steps from which some path reaches an end (backwards from every step that can end)."""
    parents = {sid: set() for sid in by_id}
    for sid, step in by_id.items():
        for target in exits_of(step):
            if target in parents:
                parents[target].add(sid)
    done = {sid for sid, step in by_id.items() if ends_here(step)}
    todo = list(done)
    while todo:
        for parent in parents[todo.pop()]:
            if parent not in done:
                done.add(parent)
                todo.append(parent)
    return done


def _idle_loop(by_id, reachable):
    """A step on a cycle that passes through no input step, or None."""
    graph = {sid: [t for t in exits_of(by_id[sid]) if t in reachable] for sid in reachable}
    idle = {sid for sid in reachable if by_id[sid]["type"] not in INPUT_KINDS}
    colour = {}
    for root in sorted(idle):
        if root in colour:
            continue
        stack = [(root, iter(graph[root]))]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            child = next((c for c in children if c in idle), None)
            if child is None:
                colour[node] = 2
                stack.pop()
            elif colour.get(child) == 1:
                return child
            elif child not in colour:
                colour[child] = 1
                stack.append((child, iter(graph[child])))
    return None


def validate(definition):
    """The normalised definition, or ValidationFailed naming every problem."""
    errors = FieldErrors()
    if not isinstance(definition, dict) or not isinstance(definition.get("steps"), list):
        errors.add("flow", "The flow must be an object with a list of steps.")
        errors.raise_if_any()
    raw_steps = definition["steps"]
    if not raw_steps:
        errors.add("steps", "The flow needs at least one step.")
    if len(raw_steps) > MAX_STEPS:
        errors.add("steps", f"The flow may not have more than {MAX_STEPS} steps.")
    errors.raise_if_any()
    steps = []
    for index, step in enumerate(raw_steps):
        if not isinstance(step, dict):
            errors.add(f"steps.{index}", "Each step must be an object.")
            continue
        steps.append(_normalise_step(step, f"steps.{index}", errors))
    errors.raise_if_any()
    by_id = {}
    for index, step in enumerate(steps):
        if step["id"] in by_id:
            errors.add(f"steps.{index}.id", f"The id '{step['id']}' is used twice.")
        by_id[step["id"]] = step
    start = str(definition.get("start") or steps[0]["id"])
    if start not in by_id:
        errors.add("start", f"The start step '{start}' does not exist.")
    for index, step in enumerate(steps):
        for target in exits_of(step):
            if target not in by_id:
                errors.add(f"steps.{index}", f"Step '{step['id']}' goes to '{target}', which does not exist.")
    errors.raise_if_any()
    reachable = _reachable(start, by_id)
    for index, step in enumerate(steps):
        if step["id"] not in reachable:
            errors.add(f"steps.{index}", f"Step '{step['id']}' can never be reached.")
    can_end = _can_end(by_id)
    for index, step in enumerate(steps):
        if step["id"] in reachable and step["id"] not in can_end:
            errors.add(f"steps.{index}", f"Step '{step['id']}' is in a loop without an exit.")
    errors.raise_if_any()
    idle = _idle_loop(by_id, reachable)
    if idle:
        errors.add("flow", f"Step '{idle}' is in a loop with no gather, record or bridge step to leave it.")
    errors.raise_if_any()
    return {"start": start, "steps": steps}


def texts_of(step):
    fields = TEXT_FIELDS.get(step["type"], ())
    values = [step.get(f, "") for f in fields]
    if step["type"] == "play":
        values.append(step.get("audio", ""))
    if step["type"] == "bridge":
        values += step.get("numbers", [])
    return values


def variables_of(definition):
    """The flow variables a call must supply: names its templates read that are neither global,
    step nor set by an earlier step (`<gather>.digits`, `<record>.recording`)."""
    produced = set()
    for step in definition["steps"]:
        if step["type"] == "gather":
            produced.add(f"{step['id']}.digits")
        elif step["type"] == "record":
            produced.add(f"{step['id']}.recording")
    known = GLOBAL_VARIABLES | STEP_VARIABLES | produced
    names = set()
    for step in definition["steps"]:
        for value in texts_of(step):
            names |= template.names_used(value)
    return sorted(n for n in names if n not in known and not n.startswith(("caller.", "outgoing.")))
