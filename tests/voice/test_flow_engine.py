"""The flow engine: templates and filters, validation (unreachable steps, loops without exits, idle
loops, missing variables), and runs over random flows and DTMF inputs (hypothesis)."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core.errors import ValidationFailed
from voice.flows import definition, engine, template


class ScriptedLeg:
    """A callee pressing the given digits, answering bridged numbers in `answers`."""

    def __init__(self, digits="", answers=(), hang_up_after=None):
        self.digits = list(digits)
        self.answers = set(answers)
        self.hung_up = False
        self.actions = []
        self.hang_up_after = hang_up_after

    def _tick(self, action):
        self.actions.append(action)
        if self.hang_up_after is not None and len(self.actions) >= self.hang_up_after:
            self.hung_up = True

    def play(self, audio):
        self._tick(("play", audio))

    def say(self, text, voice, language, gender=""):
        self._tick(("say", text))

    def pause(self, seconds):
        self._tick(("pause", seconds))

    def gather(self, digits, timeout, finish_on_key):
        pressed = "".join(self.digits.pop(0) for _ in range(min(digits, len(self.digits))))
        self._tick(("gather", pressed))
        return pressed

    def record(self, max_seconds):
        self._tick(("record", max_seconds))
        return "rec-1"

    def dial(self, numbers, timeout, record):
        self._tick(("dial", tuple(numbers)))
        for number in numbers:
            if number in self.answers:
                return engine.Dialled("ANSWER", number, 12)
        return engine.Dialled("NOANSWER", numbers[0])

    def send_sms(self, to, sender, text):
        self._tick(("sms", to, text))


MENU = {
    "steps": [
        {"id": "hello", "type": "say", "text": "Hello {{Name | upcase}}, your code is {{otp}}", "next": "menu"},
        {"id": "menu", "type": "gather", "prompt": "Press 1 for sales, 2 to repeat", "next": "route"},
        {"id": "route", "type": "branch", "value": "{{menu.digits}}", "cases": {"1": "sales", "2": "hello"}},
        {
            "id": "sales",
            "type": "bridge",
            "numbers": ["919800000001", "919800000002"],
            "next": "bye",
            "failed": "sorry",
        },
        {"id": "sorry", "type": "sms", "sender": "ACME", "text": "Sorry we missed you, {{Name}}", "next": "bye"},
        {"id": "bye", "type": "hangup"},
    ]
}


def test_templates_and_catalogued_filters():
    context = {"Name": "asha", "n": "7", "plan": "gold", "prices": {"gold": "99"}, "caller.name": "Ravi"}
    cases = {
        "{{Name | upcase}}": "ASHA",
        "{{ Name|upper }}": "ASHA",
        "{{n | plus: 3}}": "10",
        "{{n | minus: 2 | times: 3}}": "15",
        "{{n | divided_by: 2}}": "3.5",
        "{{n | modulo: 4}}": "3",
        "{{missing | default: 'there'}}": "there",
        "{{prices.[plan]}}": "99",
        "{{caller.name}}": "Ravi",
        "{{Name | prepend: 'Ms ' | append: '!'}}": "Ms asha!",
        "{{Name | slice: 1, 2}}": "sh",
        "{{Name | size}}": "4",
        "{{q | url_encode}}": "a+b%26c",
    }
    context["q"] = "a b&c"
    for text, expected in cases.items():
        assert template.render(text, context) == expected, text
    with pytest.raises(template.TemplateError, match="not a variable name"):
        template.render("{{'a b'}}", context)
    assert template.render("{{x | round: 1}}", {"x": "2.345"}) == "2.3"
    assert template.render("{{x | floor}} {{x | ceil}}", {"x": "2.5"}) == "2 3"
    assert template.render("{{d | date_format: '%d/%m'}}", {"d": "2024-07-10 06:09:43"}) == "10/07"
    with pytest.raises(template.TemplateError, match="unknown filter"):
        template.placeholders("{{Name | shout}}")


def test_a_valid_menu_and_its_variables():
    flow = definition.validate(MENU)
    assert flow["start"] == "hello"
    assert definition.variables_of(flow) == ["Name", "otp"]


def test_run_follows_the_digits_and_bridges():
    flow = definition.validate(MENU)
    leg = ScriptedLeg(digits="21", answers={"919800000002"})
    trace = engine.run(flow, {"Name": "asha", "otp": "4321"}, leg)
    assert trace.visited == ["hello", "menu", "route", "hello", "menu", "route", "sales", "bye"]
    assert trace.dtmf == "21"
    assert ("say", "Hello ASHA, your code is 4321") in leg.actions
    assert trace.bridged[0].number == "919800000002"
    assert trace.ended_by == "hangup"


def test_nobody_answers_sends_the_sms():
    trace = engine.run(definition.validate(MENU), {"Name": "asha", "otp": "1"}, ScriptedLeg(digits="1"))
    assert trace.visited[-3:] == ["sales", "sorry", "bye"]
    assert trace.sms == [("", "ACME", "Sorry we missed you, asha")]  # {{to}} unset in this context


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"id": "a", "type": "say", "text": "x", "next": "b"}], "does not exist"),
        (
            [{"id": "a", "type": "hangup"}, {"id": "b", "type": "say", "text": "x"}],
            "can never be reached",
        ),
        (
            [
                {"id": "a", "type": "say", "text": "x", "next": "b"},
                {"id": "b", "type": "play", "audio": "u", "next": "a"},
            ],
            "loop without an exit",
        ),
        (
            [
                {"id": "a", "type": "say", "text": "x", "next": "b"},
                {"id": "b", "type": "branch", "value": "{{v}}", "cases": {"1": "c"}, "default": "a"},
                {"id": "c", "type": "hangup"},
            ],
            "no gather, record or bridge",
        ),
        ([{"id": "a", "type": "dance"}], "The type must be one of"),
        ([{"id": "a", "type": "say", "text": "{{Name | shout}}"}], "bad placeholder"),
        ([{"id": "a", "type": "gather", "digits": 50}], "between 1 and 20"),
        ([{"id": "a", "type": "bridge", "numbers": [], "strategy": "loudest"}], "numbers must list"),
        ([{"id": "a", "type": "say", "text": "x"}, {"id": "a", "type": "hangup"}], "used twice"),
    ],
)
def test_bad_flows_are_refused(steps, message):
    with pytest.raises(ValidationFailed) as exc:
        definition.validate({"steps": steps})
    assert any(message in m for messages in exc.value.errors.values() for m in messages), exc.value.errors


def test_strategies_order_the_numbers():
    numbers = ["a", "b", "c"]
    assert engine.order_numbers(numbers, "parallel") == [["a", "b", "c"]]
    assert engine.order_numbers(numbers, "sequential") == [["a"], ["b"], ["c"]]
    assert engine.order_numbers(numbers, "fewest", completed={"a": 5, "b": 1, "c": 3}) == [["b"], ["c"], ["a"]]
    shuffled = engine.order_numbers(numbers, "random", rng=random.Random(3))
    assert sorted(g[0] for g in shuffled) == numbers


# --- random flows -------------------------------------------------------------------------------

KINDS = ["say", "play", "gather", "branch", "record", "bridge", "sms", "hangup"]


@st.composite
def random_flows(draw):
    """Any graph of 1-12 steps with random exits (valid or not)."""
    size = draw(st.integers(1, 12))
    ids = [f"s{i}" for i in range(size)]
    target = st.one_of(st.none(), st.sampled_from(ids))
    steps = []
    for sid in ids:
        kind = draw(st.sampled_from(KINDS))
        step = {"id": sid, "type": kind, "next": draw(target)}
        if kind == "say":
            step["text"] = "Hi {{Name}}"
        elif kind == "play":
            step["audio"] = "https://example.com/a.wav"
        elif kind == "gather":
            step["digits"] = draw(st.integers(1, 3))
        elif kind == "branch":
            step["value"] = draw(st.sampled_from(["{{dtmf}}", "{{Name}}"]))
            step["cases"] = {
                str(k): draw(st.sampled_from(ids)) for k in draw(st.lists(st.integers(0, 9), min_size=1, max_size=3))
            }
            step["default"] = draw(target)
        elif kind == "bridge":
            step["numbers"] = ["919800000001", "919800000002"]
            step["strategy"] = draw(st.sampled_from(definition.STRATEGIES))
            step["failed"] = draw(target)
        elif kind == "sms":
            step["sender"] = "ACME"
            step["text"] = "x"
        steps.append(step)
    return {"steps": steps}


def _reachable(flow):
    by_id = {s["id"]: s for s in flow["steps"]}
    seen, todo = set(), [flow["steps"][0]["id"]]
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in by_id:
            continue
        seen.add(sid)
        todo += definition.exits_of(definition._normalise_step(by_id[sid], "x", {}))
    return seen


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow=random_flows(), digits=st.text(alphabet="0123456789*#", max_size=30), answer=st.booleans())
def test_random_flows_either_fail_validation_or_run_to_an_end(flow, digits, answer):
    try:
        clean = definition.validate(flow)
    except ValidationFailed as exc:
        # Validation's verdict on reachability agrees with a plain search.
        reachable = _reachable(flow)
        unreachable = [i for i, s in enumerate(flow["steps"]) if s["id"] not in reachable]
        reported = [k for k, msgs in exc.errors.items() if any("never be reached" in m for m in msgs)]
        assert reported == [f"steps.{i}" for i in unreachable]
        return
    leg = ScriptedLeg(digits=digits, answers={"919800000001"} if answer else ())
    trace = engine.run(clean, {"Name": "x", "to": "919800000009"}, leg)
    # A valid flow ends: at a hangup or an open exit once the digits run out, or (a caller who
    # keeps choosing a loop) at the budget; never on a step that does not exist.
    ids = {s["id"] for s in clean["steps"]}
    assert set(trace.visited) <= ids
    assert trace.visited[0] == clean["start"]
    assert trace.ended_by in {"hangup", "end", "budget"}
    if trace.ended_by == "budget":
        assert len(trace.visited) == engine.STEP_BUDGET
    assert trace.dtmf == "".join(a[1] for a in leg.actions if a[0] == "gather")


@settings(max_examples=200, deadline=None)
@given(flow=random_flows())
def test_a_silent_caller_always_reaches_an_end(flow):
    """With no digits pressed and nobody answering, a valid flow's run is deterministic and ends
    before the budget unless every way out needs input (then the budget ends it)."""
    try:
        clean = definition.validate(flow)
    except ValidationFailed:
        return
    first = engine.run(clean, {"Name": "x"}, ScriptedLeg())
    second = engine.run(clean, {"Name": "x"}, ScriptedLeg())
    assert first.visited == second.visited
    assert first.ended_by in {"hangup", "end", "budget"}


def test_the_callee_hanging_up_ends_the_run():
    leg = ScriptedLeg(digits="2222", hang_up_after=3)
    trace = engine.run(definition.validate(MENU), {"Name": "a", "otp": "1"}, leg)
    assert trace.ended_by == "callee"
    assert len(leg.actions) == 3
