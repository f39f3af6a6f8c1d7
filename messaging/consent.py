"""Consent: who has opted out of what, on every messaging channel. The public interface of opt-outs.

Every change to the opt-out lists goes through here: the unsubscriber pages and API, contact
subscriptions (`contacts` may import messaging only through this module and `messaging.history`), seed
data. File imports of unsubscribers insert in bulk (`messaging.suppressions.importers`) and are the one
other writer. The send path reads `suppressed_set`.

An opt-out is one `Unsubscriber` row: an account, a channel (`sms`, `whatsapp`, `rcs`, `viber`, `voice`),
a receiver (E.164 digits without "+") and a scope:

    all      every message on the channel (value "*")
    product  messages of one service code (`T`, `P`, ...); "service" is accepted as a synonym; upper-cased
    sender   messages from one sender ID (matched case-insensitively)
    tag      messages sent with that tag (matched exactly)

    opt_out(*, account, channel, receiver, scope="all", value=None, actor=None, request=None) -> Unsubscriber
        validates and normalises the number; an identical opt-out already there is returned unchanged.
        A new one writes the `<channel>:unsubscription` event to the outbox and the audit entry in the
        same transaction.
    opt_in(*, account, channel, receiver, scope="all", value=None, actor=None, request=None) -> int
        lifts the opt-out of exactly that scope (others stay); returns how many were removed (0 or 1).
    edit_opt_out(*, entry, receiver, scope, value, actor=None, request=None) -> Unsubscriber
        changes an entry's number or scope (the list pages' edit).
    clear_opt_outs(*, account, channel, actor=None, request=None) -> int
        removes every opt-out of the account on the channel.
    is_suppressed(account, channel, receiver, *, product_code=None, sender=None, tags=()) -> bool
    suppressed_set(account, channel, numbers, *, product_code=None, sender=None, tags=()) -> set[str]
        which of `numbers` may not receive a message sent with that service, sender and tags: one query
        per 10,000 numbers (a big send against a smaller list reads the list once). Numbers are compared
        as given: pass E.164 digits, as the send path holds them.
    suppressed_sets(asks) -> list[set[str]]
        `suppressed_set` for many sends at once (`Ask`s, possibly of several accounts): one query for
        all of them while their numbers fit one chunk, each answer the one `suppressed_set` gives.

Errors: `portal.core.errors.ValidationFailed`, keyed by the unsubscriber's fields (`channel`, `receiver`,
`type` for the scope, `value`). `actor`/`request` only feed the audit trail.
"""

from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.services import audit
from messaging import events as event_names
from messaging.suppressions.models import ALL_VALUE, MESSAGE_CHANNELS, ScopeType, Unsubscriber
from portal.api.formats import resource_time
from portal.core import events, text
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import InvalidNumber, digits_of, normalize

__all__ = [
    "ALL_VALUE",
    "CHANNELS",
    "MESSAGE_CHANNELS",
    "UNSUBSCRIPTION_EVENTS",
    "ScopeType",
    "canonical_scope",
    "clear_opt_outs",
    "edit_opt_out",
    "is_suppressed",
    "opt_in",
    "opt_out",
    "Ask",
    "suppressed_set",
    "suppressed_sets",
    "unsubscription_payload",
]

CHANNELS = frozenset(value for value, _ in MESSAGE_CHANNELS)
UNSUBSCRIPTION_EVENTS = {
    "sms": event_names.SMS_UNSUBSCRIPTION,
    "whatsapp": event_names.WHATSAPP_UNSUBSCRIPTION,
    "rcs": event_names.RCS_UNSUBSCRIPTION,
    "viber": event_names.VIBER_UNSUBSCRIPTION,
    "voice": event_names.VOICE_UNSUBSCRIPTION,
}
SCOPE_SYNONYMS = {"service": ScopeType.PRODUCT}
CHUNK = 10_000


def canonical_scope(value):
    """The stored scope type for an input word ("" -> all, "service" -> product); not validated."""
    value = text.as_text(value, "type").strip().lower() or ScopeType.ALL
    return SCOPE_SYNONYMS.get(value, value)


def _channel(channel):
    name = str(channel or "").strip().lower()
    if name not in CHANNELS:
        choices = ", ".join(value for value, _ in MESSAGE_CHANNELS)
        raise ValidationFailed({"channel": [f"The selected channel is invalid ({choices})."]})
    return name


def _scope(scope, value, errors):
    type_ = canonical_scope(scope)
    value = str(value or "").strip()
    if type_ not in ScopeType.values:
        errors.setdefault("type", []).append("The selected type is invalid (tag, product, sender or all).")
    elif type_ == ScopeType.ALL:
        value = ALL_VALUE
    elif not value:
        errors.setdefault("value", []).append(f"The value field is required when type is {type_}.")
    elif len(value) > 100:
        errors.setdefault("value", []).append("The value may not be greater than 100 characters.")
    if type_ == ScopeType.PRODUCT:
        value = value.upper()
    return type_, value


def _fields(receiver, scope, value, *, lenient=False):
    """Validated {receiver, iso, type, value}. `lenient` (lifting an opt-out) also accepts a number that no
    longer validates, so an entry stored under older numbering data can still be removed."""
    errors = {}
    number = iso = None
    if not str(receiver or "").strip():
        errors["receiver"] = ["The receiver field is required."]
    else:
        try:
            number, iso = normalize(receiver)
        except InvalidNumber as exc:
            digits = digits_of(receiver)
            if lenient and digits.isdigit() and 8 <= len(digits) <= 15:
                number = digits
            else:
                errors["receiver"] = [str(exc)]
    type_, value = _scope(scope, value, errors)
    if errors:
        raise ValidationFailed(errors)
    return {"receiver": number, "iso": iso, "type": type_, "value": value}


def unsubscription_payload(entry):
    """The `<channel>:unsubscription` event body (see the webhooks catalog)."""
    return {
        "event": f"{entry.channel}:unsubscription",
        "id": str(entry.uuid),
        "receiver": entry.receiver,
        "iso": entry.iso,
        "type": entry.type,
        "value": entry.value,
        "created_at": resource_time(entry.created_at),
        "status": "Unsubscriber created successfully",
    }


def opt_out(*, account, channel, receiver, scope=ScopeType.ALL, value=None, actor=None, request=None):
    """Record that `receiver` wants no messages on `channel` within `scope`. Idempotent: an identical
    opt-out is returned unchanged, without a second event."""
    channel = _channel(channel)
    fields = _fields(receiver, scope, value)
    with transaction.atomic():
        entry, created = Unsubscriber.objects.get_or_create(
            account=account,
            channel=channel,
            receiver=fields["receiver"],
            type=fields["type"],
            value=fields["value"],
            defaults={"iso": fields["iso"]},
        )
        if created:
            events.emit(
                account=account,
                type=UNSUBSCRIPTION_EVENTS[channel],
                payload=unsubscription_payload(entry),
                identity=f"number:{entry.receiver}",
            )
            audit.record("unsubscriber.added", account=account, actor=actor, request=request, target=entry.receiver)
    return entry


def opt_in(*, account, channel, receiver, scope=ScopeType.ALL, value=None, actor=None, request=None):
    """Lift the opt-out of `receiver` on `channel` for exactly this scope; opt-outs of other scopes (a tag,
    a sender...) are separate consents and stay. Returns the number of entries removed (0 or 1)."""
    channel = _channel(channel)
    fields = _fields(receiver, scope, value, lenient=True)
    entries = Unsubscriber.objects.for_account(account).filter(
        channel=channel, receiver=fields["receiver"], type=fields["type"], value=fields["value"]
    )
    with transaction.atomic():
        deleted, _ = entries.delete()
        if deleted:
            audit.record(
                "unsubscriber.deleted", account=account, actor=actor, request=request, target=fields["receiver"]
            )
    return deleted


def edit_opt_out(*, entry, receiver, scope, value, actor=None, request=None):
    """Give an entry another number or scope (its channel stays). Raises ValidationFailed when the result
    would duplicate another entry."""
    fields = _fields(receiver, scope, value)
    for key, field_value in fields.items():
        setattr(entry, key, field_value)
    try:
        with transaction.atomic():
            entry.save()
            audit.record(
                "unsubscriber.updated", account=entry.account, actor=actor, request=request, target=entry.receiver
            )
    except IntegrityError:
        raise ValidationFailed({"receiver": ["This number is already unsubscribed for that scope."]}) from None
    return entry


def clear_opt_outs(*, account, channel, actor=None, request=None):
    """Remove every opt-out of the account on `channel`; returns how many."""
    channel = _channel(channel)
    with transaction.atomic():
        deleted, _ = Unsubscriber.objects.for_account(account).filter(channel=channel).delete()
        audit.record(
            "unsubscriber.cleaned", account=account, actor=actor, request=request, target=channel, deleted=deleted
        )
    return deleted


def _scope_filter(product_code=None, sender=None, tags=()):
    q = Q(type=ScopeType.ALL)
    if product_code:
        q |= Q(type=ScopeType.PRODUCT, value=product_code.upper())
    if sender:
        q |= Q(type=ScopeType.SENDER, value__iexact=sender)
    if tags:
        q |= Q(type=ScopeType.TAG, value__in=list(tags))
    return q


def _scope_matches(type_, value, product_code=None, sender=None, tags=()):
    """`_scope_filter` for one stored opt-out, in memory (the two must stay the same rule)."""
    if type_ == ScopeType.ALL:
        return True
    if type_ == ScopeType.PRODUCT:
        return bool(product_code) and value == product_code.upper()
    if type_ == ScopeType.SENDER:
        return bool(sender) and value.upper() == sender.upper()  # iexact
    return type_ == ScopeType.TAG and value in tags


def is_suppressed(account, channel, receiver, *, product_code=None, sender=None, tags=()):
    """Whether `receiver` (E.164 digits) may not get a message sent with that service, sender and tags."""
    return (
        Unsubscriber.objects.for_account(account)
        .filter(_scope_filter(product_code, sender, tags), channel=_channel(channel), receiver=receiver)
        .exists()
    )


def suppressed_set(account, channel, numbers, *, product_code=None, sender=None, tags=()):
    """Which of `numbers` are suppressed for this send: one query per 10,000 numbers."""
    numbers = list(dict.fromkeys(numbers))
    found = set()
    base = Unsubscriber.objects.for_account(account).filter(
        _scope_filter(product_code, sender, tags), channel=_channel(channel)
    )
    if len(numbers) > CHUNK and base.count() <= len(numbers):
        # A big send against a smaller list: read the list once and intersect in memory.
        return set(base.values_list("receiver", flat=True)) & set(numbers)
    for i in range(0, len(numbers), CHUNK):
        found.update(base.filter(receiver__in=numbers[i : i + CHUNK]).values_list("receiver", flat=True))
    return found


class Ask(NamedTuple):
    """One `suppressed_set` question: its arguments."""

    account: object
    channel: str
    numbers: tuple
    product_code: str | None = None
    sender: str | None = None
    tags: tuple = ()


def _ask_alone(ask):
    return suppressed_set(
        ask.account, ask.channel, ask.numbers, product_code=ask.product_code, sender=ask.sender, tags=ask.tags
    )


def suppressed_sets(asks):
    """`suppressed_set` for every ask, in order. Sends committed together (group commit)
    ask together: while their numbers fit one chunk, one query reads every opt-out of those
    numbers on those channels and accounts, and each ask keeps the rows its own scope filter
    would have matched (`_scope_matches`). Larger asks are answered one by one."""
    asks = list(asks)
    if not asks:
        return []
    wanted = {number for ask in asks for number in ask.numbers}
    if len(asks) == 1 or len(wanted) > CHUNK:
        return [_ask_alone(ask) for ask in asks]
    channels = {_channel(ask.channel) for ask in asks}
    # Several accounts' lists in one read (a system-side read): each row is matched to its own
    # account's asks below, never to another's.
    rows = Unsubscriber.objects.filter(
        account_id__in={ask.account.pk for ask in asks}, channel__in=channels, receiver__in=wanted
    ).values_list("account_id", "channel", "receiver", "type", "value")
    by_target = {}
    for account_id, channel, receiver, type_, value in rows:
        by_target.setdefault((account_id, channel), []).append((receiver, type_, value))
    answers = []
    for ask in asks:
        numbers = set(ask.numbers)
        answers.append(
            {
                receiver
                for receiver, type_, value in by_target.get((ask.account.pk, _channel(ask.channel)), ())
                if receiver in numbers and _scope_matches(type_, value, ask.product_code, ask.sender, ask.tags)
            }
        )
    return answers
