"""The voice composer's logic, shared by its preview and its send: the audience (typed numbers, a
file, segments and an earlier bulk call's recipients, deduplicated: `portal.core.audience`, as
every channel's composer), the quote (`quotes.plan`, per recipient) and the send, which writes
that same plan. The pages (`voice/views/composer.py`) only read the form and render.

What the preview shows is what the send reserves: both call `quote` on the same composition, and
`send` reserves `plan.reserved` in one debit. The estimated cost is shown beside it, never
charged up front: each call's reservation is settled to what it really cost when it ends.
"""

import re
from dataclasses import dataclass, field
from itertools import islice

from contacts.recipients import segment_numbers
from portal.core import audience as shared_audience
from portal.core.errors import ValidationFailed
from portal.core.tenancy import is_uuid
from voice.models import Call, CallGroup, CallStatus
from voice.services import calls, checks, quotes

# Who a follow-up of an earlier bulk call goes to.
FOLLOW_UPS = {
    "failed": "Retry failed",
    "undelivered": "Call the ones who didn't get it",
}
FAILED = tuple(s for s in CallStatus.FINAL if s != CallStatus.ANSWER)  # busy, no answer, cancelled, …


@dataclass
class Composition:
    """A composed bulk call: its recipients and what every call plays."""

    audience: shared_audience.Audience
    bridge: str = ""
    flow_id: str = ""
    audio: str = ""
    variables: dict = field(default_factory=dict)
    name: str = ""


def follow_up_group(account, value):
    """The account's bulk call a follow-up names, or None (another account's id is simply unknown)."""
    if not is_uuid(value):
        return None
    return CallGroup.objects.for_account(account).filter(uuid=value).first()


def _failed_calls(account, group):
    return Call.objects.for_account(account).filter(group=group, status__in=FAILED)


def follow_up_numbers(account, group, who):
    """The numbers of an earlier bulk call to call again: `failed` are the calls that ended
    unanswered (busy, no answer, cancelled, congestion, unavailable); `undelivered` adds the
    numbers refused before calling (kept on the group by the composer's send). Calls still queued
    or in progress are in neither: they may yet be answered, and a second call is paid twice."""
    numbers = list(_failed_calls(account, group).order_by("pk").values_list("to", flat=True))
    if who == "undelivered":
        for refused in (group.refused or {}).values():
            numbers.extend(refused)
    return numbers


def follow_up_counts(account, group):
    """[(who, label, how many)] of the follow-ups a bulk call offers (those with anyone to call)."""
    failed = _failed_calls(account, group).count()
    counts = {"failed": failed, "undelivered": failed + sum(len(n) for n in (group.refused or {}).values())}
    return [(who, label, counts[who]) for who, label in FOLLOW_UPS.items() if counts[who]]


def compose(account, data, *, files=(), strict=True):
    """Build a bulk call from the composer's fields (`data`: bridge, to, segments, flow, audio,
    variables as a dict, name, follow_up_obj = (group, who) or None). The preview builds it not
    strict (a bad file or segment is named in `audience.problem`), the send strict (it raises)."""
    follow_up = data.get("follow_up_obj")
    segment_ids = data.get("segments") or None
    audience = shared_audience.build(
        typed_numbers=data.get("to", ""),
        earlier=follow_up_numbers(account, *follow_up) if follow_up else (),
        files=files,
        # One more than a bulk call takes: enough to refuse an oversized send without reading it all.
        segments=(lambda: islice(segment_numbers(account, segment_ids, channel="voice"), checks.MAX_BULK + 1))
        if segment_ids
        else None,
        strict=strict,
    )
    return Composition(
        audience=audience,
        bridge=data.get("bridge", ""),
        flow_id=str(data.get("flow") or ""),
        audio=str(data.get("audio") or ""),
        variables=dict(data.get("variables") or {}),
        name=str(data.get("name") or "")[:100],
    )


def as_test(composition, number):
    """The composition as a test: one call, to `number` only, as its own bulk call."""
    return Composition(
        audience=shared_audience.Audience(numbers=[number], typed=1),
        bridge=composition.bridge,
        flow_id=composition.flow_id,
        audio=composition.audio,
        variables=composition.variables,
        name=f"Test: {composition.name or 'composer'}"[:100],
    )


# The request's field in the bulk API's errors -> the composer's field.
FORM_FIELDS = {"flow_id": "flow", "payload": "to"}
PAYLOAD_ITEM = re.compile(r"^payload\.\d+\.")


def _form_errors(exc):
    """A plan's ValidationFailed on the composer's fields: every recipient shares the flow's
    variables and audio, so an item's error (`payload.0.variables.Name`) is the form's."""
    errors = {}
    for key, messages in exc.errors.items():
        name = PAYLOAD_ITEM.sub("", key).split(".")[0]
        name = FORM_FIELDS.get(name, name)
        for message in messages:
            if message not in errors.setdefault(name, []):
                errors[name].append(message)
    return ValidationFailed(errors)


def quote(account, composition):
    """The send's own dry run: a `quotes.Plan` over the composition's recipients, each accepted
    or refused by reason. ValidationFailed (on the composer's fields) for what is wrong with the
    composition itself (bridge, flow, audio, variables, calling hours, no recipients)."""
    if not composition.audience.numbers:
        raise ValidationFailed({"to": ["Add numbers: type them, upload a file or pick segments."]})
    payload = [{"to": n, "variables": composition.variables} for n in composition.audience.numbers]
    try:
        return quotes.plan(
            account=account,
            bridge=composition.bridge,
            payload=payload,
            flow_id=composition.flow_id or None,
            audio=composition.audio or None,
            name=composition.name,
            per_recipient=True,
        )
    except ValidationFailed as exc:
        raise _form_errors(exc) from None


def send(*, account, composition, actor=None):
    """Quote the composition and write its plan: the accepted calls as one bulk call, reserving
    exactly the quote's `reserved` (InsufficientCredit when the balance cannot cover it), the
    refused numbers kept on the group. Nothing is written when none is accepted.
    Returns (group or None, plan)."""
    plan = quote(account, composition)
    if not plan.accepted:
        return None, plan
    group, _queued = calls.write_plan(account=account, plan=plan, name=composition.name, keep_refused=True, actor=actor)
    return group, plan
