"""The dry run of a bulk call: every check `checks.bulk` makes, and its money, without writing.

`plan(...)` validates the request (bridge, flow or audio, the flow's variables, calling hours),
then takes each recipient in turn: accepted, or refused by reason. `checks.bulk` writes exactly the
plan it is given, so the composer's preview (a plan) and its send (the same plan, written) cannot
disagree on who is called, what is reserved or what is expected.

Two modes. Strict (the v2 API, as the catalogue answers): a bad number or an unpriced country is a
422 naming the payload item, duplicates are dropped, unsubscribed numbers are skipped. Per
recipient (the composer): every such number is a refusal counted by reason, and the rest go ahead.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal

from portal.core.errors import DomainError, FieldErrors, ValidationFailed
from voice.services import checks, estimate, flows, pricing

INVALID, DUPLICATE, UNSUBSCRIBED, NOT_PRICED = "INVALID", "DUPLICATE", "UNSUBSCRIBED", "NOT-PRICED"
# What each refusal means, in the words the composer's summary and flash use.
REFUSAL_LABELS = {
    INVALID: "Invalid numbers",
    DUPLICATE: "Duplicates",
    UNSUBSCRIBED: "Unsubscribed from voice calls",
    NOT_PRICED: "To countries without a voice price",
}


@dataclass
class Row:
    """An accepted recipient and its money."""

    to: str
    iso: str
    audio: tuple  # (sound id or URL, known seconds)
    variables: dict
    price: object  # VoicePrice
    reserved: Decimal


@dataclass
class Plan:
    bridge: object  # VoiceNumber
    flow: object  # Flow or None
    max_seconds: int
    legs: int
    rows: list = field(default_factory=list)
    refused_numbers: dict = field(default_factory=dict)  # status -> [numbers as given]
    total: int = 0  # recipients asked for
    book: object = None  # the PriceBook the rows were priced from

    @property
    def accepted(self):
        return len(self.rows)

    @property
    def refused(self):
        """Refusal status -> how many (portal.composer's summary and flash read this)."""
        return {status: len(numbers) for status, numbers in self.refused_numbers.items() if numbers}

    @property
    def reserved(self):
        return sum((r.reserved for r in self.rows), Decimal(0))

    cost = reserved  # what the send takes from the balance now (portal.composer.Summary)

    @property
    def skipped(self):
        """Numbers left out as unsubscribed (the API's bulk answer counts them)."""
        return set(self.refused_numbers.get(UNSUBSCRIBED, []))


def _refuse(plan, status, number):
    plan.refused_numbers.setdefault(status, []).append(str(number))


def plan(*, account, bridge, payload, flow_id=None, audio=None, name="", webhook_id="", per_recipient=False):
    """The plan of a bulk request (see the module's docstring). Raises ValidationFailed for what
    is wrong with the request itself in both modes; in strict mode also for a recipient."""
    errors = FieldErrors()
    number = checks.bridge_number(account, bridge, errors)
    flow = None
    default_audio = ("", 0.0)
    if str(flow_id or "").strip():
        flow = checks.find_flow(account, flow_id, errors)
    elif str(audio or "").strip():
        default_audio = checks.find_audio(account, audio, errors)
    if not isinstance(payload, list) or not payload:
        errors.add("payload", "The payload must be a non-empty list of recipients.")
        payload = []
    elif len(payload) > checks.MAX_BULK:
        errors.add("payload", f"The payload may not have more than {checks.MAX_BULK} recipients.")
        payload = []
    checks.short_text(name, "name", 100, errors)
    checks.short_text(webhook_id, "webhook_id", 64, errors)
    checks.check_calling_hours(account, errors)
    errors.raise_if_any()
    result = Plan(
        bridge=number, flow=flow, max_seconds=checks.max_call_seconds(), legs=checks.legs_of(flow), total=len(payload)
    )
    rows, seen, sounds = [], set(), {}
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            errors.add(f"payload.{index}", "Each recipient must be an object with a to field.")
            continue
        item_errors = FieldErrors()
        digits, iso = checks.callee(item.get("to"), f"payload.{index}.to", item_errors)
        if digits is None and per_recipient:
            _refuse(result, INVALID, item.get("to"))
            continue
        for field_name, messages in item_errors.items():
            errors.setdefault(field_name, []).extend(messages)
        if digits is None:
            continue
        if digits in seen:
            _refuse(result, DUPLICATE, digits)
            continue
        seen.add(digits)
        item_audio = default_audio
        if item.get("audio"):
            key = str(item["audio"])
            if key not in sounds:
                sounds[key] = checks.find_audio(account, key, errors, field=f"payload.{index}.audio")
            item_audio = sounds[key]
        elif flow is None and not default_audio[0]:
            errors.add(f"payload.{index}.audio", "An audio is required when the request has no flow_id or audio.")
        values = {}
        if flow is not None:
            try:
                values = flows.check_variables(flow, item.get("variables"))
            except ValidationFailed as exc:
                for field_name, messages in exc.errors.items():
                    errors.add(f"payload.{index}.{field_name}", messages[0])
        rows.append((digits, iso, item_audio, values))
        if len(errors) > 50:
            break
    errors.raise_if_any()
    skipped = checks.suppressed(account, number, [r[0] for r in rows])
    if skipped:
        for row in rows:
            if row[0] in skipped:
                _refuse(result, UNSUBSCRIBED, row[0])
        rows = [r for r in rows if r[0] not in skipped]
    if rows or per_recipient:
        _price(account, result, rows, per_recipient)
    if not result.rows and not per_recipient:
        raise ValidationFailed({"payload": ["Every recipient has unsubscribed from voice checks."]})
    return result


def _price(account, result, rows, per_recipient):
    """The reservation of each row. Strict, an unpriced country is the request's 422
    (`payload`); per recipient, its numbers are refused."""
    result.book = pricing.PriceBook(account)
    for digits, iso, item_audio, values in rows:
        try:
            price = result.book.price(iso, field="payload")
        except DomainError:
            if not per_recipient:
                raise
            _refuse(result, NOT_PRICED, digits)
            continue
        reserved = pricing.reservation(price, result.max_seconds, legs=result.legs)
        result.rows.append(Row(digits, iso, item_audio, values, price, reserved))


@dataclass
class Estimate:
    cost: Decimal  # expected charges of every accepted call (never above what they reserve)
    seconds: int  # one answered call's expected duration (the first recipient's)


def estimated(result):
    """What the plan's calls are expected to cost (`estimate`): the composer shows it beside the
    reservation. One run of the flow per distinct (audio, variables): most sends share one."""
    expected, total, seconds = {}, Decimal(0), 0
    for row in result.rows:
        key = (row.audio[0], json.dumps(row.variables, sort_keys=True, default=str))
        if key not in expected:
            expected[key] = estimate.expect(
                flow=result.flow,
                audio=row.audio[0],
                audio_seconds=row.audio[1],
                variables=row.variables,
                max_seconds=result.max_seconds,
            )
        total += min(estimate.cost(expected[key], row.price, result.book), row.reserved)
        seconds = seconds or expected[key].seconds
    return Estimate(cost=total, seconds=seconds)
