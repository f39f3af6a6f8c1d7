"""Runs a validated flow against a call in progress.

The engine knows nothing about SIP or clocks: it asks a `Leg` (the connector's side of one
answered call) to do each step and reads back what the caller did.

    class Leg(Protocol):
        hung_up: bool                                    # the callee put the phone down
        def play(self, audio): ...                       # a sound id or URL
        def say(self, text, voice, language, gender=""): ...
        def pause(self, seconds): ...
        def gather(self, digits, timeout, finish_on_key) -> str
        def record(self, max_seconds) -> str | None      # recording id
        def dial(self, numbers, timeout, record) -> Dialled  # rings these together; first to answer wins
        def send_sms(self, to, sender, text): ...

`run(definition, variables, leg, pick=...)` walks from the start step and returns a `Trace`.
A call ends at a hangup step, an open exit, the callee hanging up, or after `STEP_BUDGET` steps
(validation already refuses loops that cannot end; the budget bounds a caller who keeps
choosing the loop).
"""

import random
from dataclasses import dataclass, field

from voice.flows import template

STEP_BUDGET = 500


@dataclass
class Dialled:
    status: str  # catalogued call status of the bridged leg (ANSWER, BUSY, NOANSWER, ...)
    number: str = ""
    duration: int = 0
    sip_code: int = 0


@dataclass
class Trace:
    visited: list = field(default_factory=list)
    dtmf: str = ""
    ended_by: str = ""  # "hangup" (a hangup step), "end" (open exit), "callee", "budget"
    bridged: list = field(default_factory=list)  # Dialled of each bridge step
    sms: list = field(default_factory=list)  # (to, sender, text) sent
    recordings: list = field(default_factory=list)


def order_numbers(numbers, strategy, *, rng=None, completed=None):
    """Groups of numbers rung together, in turn: parallel rings all at once; sequential in list
    order; random shuffled; fewest by the fewest calls completed so far (`completed`: number ->
    count; ties keep list order)."""
    if strategy == "parallel":
        return [list(numbers)]
    ordered = list(numbers)
    if strategy == "random":
        (rng or random).shuffle(ordered)
    elif strategy == "fewest":
        counts = completed or {}
        ordered.sort(key=lambda n: counts.get(n, 0))
    return [[n] for n in ordered]


def run(definition, variables, leg, *, rng=None, completed=None):
    by_id = {step["id"]: step for step in definition["steps"]}
    context = dict(variables)
    context.setdefault("dtmf", "")
    trace = Trace()
    current = definition["start"]
    while current:
        if leg.hung_up:
            trace.ended_by = "callee"
            return trace
        if len(trace.visited) >= STEP_BUDGET:
            trace.ended_by = "budget"
            return trace
        step = by_id[current]
        trace.visited.append(current)
        current = _perform(step, context, leg, trace, rng, completed)
    trace.ended_by = "hangup" if trace.visited and by_id[trace.visited[-1]]["type"] == "hangup" else "end"
    if leg.hung_up and trace.ended_by == "end":
        trace.ended_by = "callee"
    trace.dtmf = context["dtmf"]
    return trace


def _perform(step, context, leg, trace, rng, completed):
    kind = step["type"]
    say = lambda text: template.render(text, context)  # noqa: E731
    if kind == "play":
        leg.play(say(step["audio"]))
    elif kind == "say":
        for _ in range(step.get("loops", 1)):
            leg.say(say(step["text"]), step.get("voice", ""), step.get("language", ""), step.get("gender", ""))
            if step.get("pause"):
                leg.pause(step["pause"])
    elif kind == "gather":
        if step.get("prompt"):
            leg.say(say(step["prompt"]), "", "", "")
        digits = leg.gather(step["digits"], step["timeout"], step.get("finish_on_key", ""))
        context[f"{step['id']}.digits"] = digits
        context["dtmf"] = context.get("dtmf", "") + digits
    elif kind == "branch":
        value = say(step["value"]).strip()
        return step["cases"].get(value, step.get("default"))
    elif kind == "record":
        recording = leg.record(step["max_seconds"])
        context[f"{step['id']}.recording"] = recording or ""
        if recording:
            trace.recordings.append(recording)
    elif kind == "bridge":
        numbers = [say(n) for n in step["numbers"]]
        result = Dialled("NOANSWER")
        for group in order_numbers(numbers, step["strategy"], rng=rng, completed=completed):
            result = leg.dial(group, step["timeout"], step.get("record", False))
            if result.status == "ANSWER":
                break
        trace.bridged.append(result)
        context.update(
            {
                "outgoing.to": result.number,
                "outgoing.status": result.status,
                "outgoing.duration": str(result.duration),
            }
        )
        return step.get("next") if result.status == "ANSWER" else step.get("failed")
    elif kind == "sms":
        message = (say(step["to"]).strip(), step["sender"], say(step["text"]))
        leg.send_sms(*message)
        trace.sms.append(message)
    elif kind == "hangup":
        return None
    return step.get("next")
