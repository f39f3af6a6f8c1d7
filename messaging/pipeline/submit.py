"""Accepting messages on any channel: validate, scrub, quote, pay once, persist, queue after commit.

`quote()` is the dry run: it runs every rule and prices every message without writing anything,
and `submit()` is the same scrub (`scrubbing()`, which `quote()` runs to the end) followed by the
rows and the debit. The composer's preview calls `quote()`, so what a page estimates is what the
send charges. A large batch on PostgreSQL is scrubbed while its rows are COPYed (docs/sending.md,
"The bulk accept path").
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.services import credits
from messaging.pipeline import budget, channels, group_commit, persist, scrub
from messaging.pipeline.channels import Refusal
from messaging.pipeline.models import SCHEDULED, Batch, Message, State
from messaging.pipeline.queues import enqueue
from messaging.reports import rollups
from messaging.services.products import ProductNotEnabled, require_product
from portal.core import rules, text
from portal.core.errors import Conflict, FieldErrors, ValidationFailed
from portal.core.phone_numbers import normalize_all

SCHEDULE_MIN = timedelta(minutes=5)
SCHEDULE_MAX = timedelta(days=30)
# Text fields every channel's Outgoing has. HTTP input is checked at the door (portal.core.text);
# the same rule here covers callers that are not requests (schedules, tasks, imports).
_COMMON_TEXT_FIELDS = ("sender", "custom", "webhook_id")
_to = attrgetter("to")


def distinct(outgoing, name):
    """The distinct values of one field over a request's messages (a bulk send repeats its few
    senders and texts 100,000 times: rules about a field look at each value once). Read once per
    field for `Messages`."""
    known = getattr(outgoing, "known", None)
    if known is None:
        return set(map(attrgetter(name), outgoing))
    values = known.get(name)
    if values is None:
        values = known[name] = set(map(attrgetter(name), outgoing))
    return values


class Messages(list):
    """A request's messages as the rules read them: the validation of a field asks for its
    distinct values two or three times (text rule, length, the channel's own), each a pass over
    100,000 messages; `distinct` keeps them here."""

    __slots__ = ("known",)

    def __init__(self, outgoing):
        super().__init__(outgoing)
        self.known = {}


@dataclass
class Quote:
    """What a send would do: per-message rows and answers, and the totals. From `scrubbing()`,
    `rows` stays empty: they went to the caller as they were made."""

    product: object
    rows: list = field(default_factory=list)  # tuples in the adapter's `columns` order
    # Recipients refused before pricing, stored compactly instead of as rows (persist.refused):
    # (index, address, destination, custom, sender, units, length, status, code).
    unpriced: list = field(default_factory=list)
    items: list = field(default_factory=list)  # the per-recipient answer, in request order
    accepted: int = 0
    cost: Decimal = Decimal(0)
    refused: dict = field(default_factory=dict)  # status -> count
    priority: int = 0
    unique: int = 0  # distinct recipients (as stored: E.164, or the text given for an invalid one)
    numbers: set = field(default_factory=set)  # the distinct valid numbers (E.164 digits)

    @property
    def total(self):
        return len(self.items)  # one answer per recipient, priced or not


@dataclass
class Submission:
    batch: Batch
    items: list = field(default_factory=list)  # response rows, in request order
    replayed: bool = False

    @property
    def accepted(self):
        return self.batch.accepted


def _earlier(account, idempotency_key, now):
    return (
        Batch.objects.for_account(account)
        .filter(idempotency_key=idempotency_key, created_at__gte=now - timedelta(hours=24))
        .first()
    )


# Where each kind of key came from, to name it in the refusal.
_KEY_SOURCES = {"key": "Idempotency-Key", "custom": "reference (custom / foreign_id)", "engage": "transactionID"}


def _replay(earlier, idempotency_key, request_hash):
    """The first answer for a retried request; a key reused for another request is a 409 (a
    batch from before request hashes were kept replays, as it always did)."""
    if request_hash and earlier.request_hash and earlier.request_hash != request_hash:
        source, _, value = idempotency_key.partition(":")
        raise Conflict(
            f"The {_KEY_SOURCES.get(source, 'idempotency key')} {value!r} was already used for a different "
            "request. Keys for idempotent requests can only be reused with the same parameters: send the "
            "same request to get its first answer, or a new key for a new request."
        )
    return Submission(batch=earlier, items=earlier.response.get("data", []), replayed=True)


def _product(account, channel, product_code, version):
    product_code = text.as_text(product_code, "service")
    try:
        product = rules.cached(
            account,
            ("service", product_code.strip().upper()),
            lambda: require_product(account, product_code),
            version,
        )
    except ProductNotEnabled as exc:
        raise ValidationFailed({"service": [exc.message]}) from None
    if product.channel != channel:
        raise ValidationFailed({"service": [f"The service {product.code} does not send {channel} messages."]})
    return product


def _validate(adapter, outgoing, schedule, now):
    errors = FieldErrors()
    if not outgoing:
        errors.add("to", "The to field is required.")
    if len(outgoing) > settings.SEND_MAX_RECIPIENTS:
        errors["to"] = [f"At most {settings.SEND_MAX_RECIPIENTS} numbers per request."]
    if any(not (sender or "").strip() for sender in distinct(outgoing, "sender")):
        errors.add("sender", "The sender field is required.")
    adapter.validate(outgoing, errors)
    for name in _COMMON_TEXT_FIELDS:  # an adapter may have checked them already, in its own order
        if name not in errors:
            check_text(outgoing, name, errors)
            check_length(outgoing, name, errors)
    if schedule is not None and not (now + SCHEDULE_MIN <= schedule <= now + SCHEDULE_MAX):
        errors["time"] = ["The time must be between 5 minutes and 30 days from now."]
    errors.raise_if_any()


def check_length(outgoing, name, errors):
    """A value longer than its message column is a 422 on the field, not a DataError at insert."""
    limit = Message._meta.get_field(name).max_length
    if max(map(len, distinct(outgoing, name)), default=0) > limit:
        errors[name] = [f"The {name.replace('_', ' ')} may not be greater than {limit} characters."]


def check_text(outgoing, name, errors):
    """The text rule (portal.core.text) over one field of every message; distinct values once."""
    for value in distinct(outgoing, name):
        if what := text.problem(value):
            errors[name] = [text.message(name, what)]
            return


def quote(
    *, account, channel, product_code, outgoing, schedule=None, tags=(), rules_version=None, now=None, product=None
):
    """Scrub and price every message of a request without writing anything. Raises
    ValidationFailed for a request that cannot be sent at all (no recipients, unknown product,
    bad content); a message a rule refuses is answered with the rule's status, not raised."""
    result, rows = scrubbing(
        account=account,
        channel=channel,
        product_code=product_code,
        outgoing=outgoing,
        schedule=schedule,
        tags=tags,
        rules_version=rules_version,
        now=now,
        product=product,
    )
    result.rows = list(rows)
    return result


def scrubbing(
    *,
    account,
    channel,
    product_code,
    outgoing,
    schedule=None,
    tags=(),
    rules_version=None,
    now=None,
    product=None,
    group="",
):
    """`quote()` as a stream, for a send that writes its rows while it scrubs. Everything that can
    refuse the whole request (ValidationFailed) and every query (prices, opt-outs, recent sends,
    the channel's rules) happens here, before any row; returns (the Quote, without rows, and an
    iterator of its rows). Consuming the iterator scrubs the recipients in order and fills the
    Quote's items, unpriced and refused as it goes, and its cost and accepted count at the end: the
    Quote is complete once the iterator is exhausted. It runs no query, so it can feed a COPY.
    Answer items are numbered by position, or `<group>:<position>` given the batch's `group`."""
    adapter = channels.get(channel)
    now = now or timezone.now()
    version = rules_version or rules.versions(account)
    product = product or _product(account, channel, product_code, version)
    outgoing = Messages(outgoing)
    _validate(adapter, outgoing, schedule, now)

    addresses = normalize_all(map(_to, outgoing))  # {as given: (E.164 digits, iso) or None}
    prepared = adapter.prepare(outgoing)
    result = Quote(product=product, priority=adapter.priority(product, len(outgoing)))
    result.numbers = {n[0] for n in addresses.values() if n}
    common = scrub.build(
        account,
        product,
        adapter,
        version=version,
        numbers=result.numbers,
        scopes={adapter.consent_scope(o) for o in outgoing},
        texts={adapter.text(p) for p in prepared.values()},
        tags=tags,
        now=now,
    )
    ctx = adapter.scrub_context(account, product, version=version, outgoing=outgoing, prepared=prepared, now=now)
    # Over the distinct inputs only: what a row or a refused record stores as `mobile`.
    result.unique = len({n[0] if n else to.replace("\x00", "")[:16] for to, n in addresses.items()})
    return result, _scrubbed(result, adapter, outgoing, addresses, prepared, common, ctx, schedule, now, group)


def _scrubbed(result, adapter, outgoing, addresses, prepared, common, ctx, schedule, now, group):
    """The per-recipient rules of `scrubbing()`: yields each priced message's row."""
    send_at = schedule or now
    submitted = message_time(now)
    key_of = adapter.content_key
    prices, suppressed, recent = common.prices, common.suppressed, common.recent
    content_results = {}
    seen = set()
    accepted_state = (State.SCHEDULED, SCHEDULED) if schedule else (State.QUEUED, adapter.accepted_status)
    unpriced, items, refused = result.unpriced, result.items, result.refused
    total_cost, accepted = Decimal(0), 0
    invalid = adapter.rejection(Refusal.INVALID_ADDRESS)
    not_enabled = {}
    for index, o in enumerate(outgoing, start=1):
        ident = f"{group}:{index}" if group else index  # the answer's id, made once
        content_key = key_of(o)
        p = prepared[content_key]
        number = addresses[o.to]
        if number is None or number[1] not in prices:
            # Refused before pricing: nothing is charged, checked further or stored as a row.
            if number is None:
                mobile, iso, rejection = o.to.replace("\x00", "")[:16], "", invalid
            else:
                mobile, iso = number
                rejection = not_enabled.get(iso)
                if rejection is None:
                    rejection = not_enabled[iso] = adapter.rejection(
                        Refusal.DESTINATION_NOT_ENABLED,
                        f"Sending to {iso or 'this destination'} is not enabled for your account.",
                    )
            status = rejection.status
            refused[status] = refused.get(status, 0) + 1
            unpriced.append(
                (index, mobile, iso, o.custom, o.sender, adapter.units(p), adapter.length(p), status, rejection.code)
            )
            items.append(adapter.item(ident, o, p, mobile, iso, Decimal(0), status, submitted, code=rejection.code))
            continue
        mobile, iso = number
        repeat_key = None
        # Sender and content rules don't depend on the recipient: once per distinct message.
        # So do the repetition key's message part and the opt-outs that apply (the content key
        # holds the sender and the text both are made of).
        checked = content_results.get(content_key)
        if checked is None:
            checked = content_results[content_key] = (
                *adapter.check_content(ctx, o, p),
                adapter.repetition_key(o, p),
                suppressed.get(adapter.consent_scope(o).upper(), ()),
                adapter.units(p),
            )
        rejection, extra, repeated_message, opted_out, units = checked
        if rejection is None:
            repeat_key = (*repeated_message, mobile)
            if mobile in opted_out:
                rejection = adapter.rejection(Refusal.OPTED_OUT)
            else:
                rejection = adapter.check_recipient(ctx, o, mobile, send_at)
            if rejection is None and repeat_key in recent:
                rejection = adapter.rejection(Refusal.REPEATED)
            if rejection is None and repeat_key in seen:
                rejection = adapter.rejection(Refusal.DUPLICATE)
        price = prices.get(iso, Decimal(0))
        if rejection is None:
            price = adapter.unit_price(ctx, o, extra, mobile, iso, price)
            charges = price * units
            seen.add(repeat_key)
            total_cost += charges
            accepted += 1
            state, status = accepted_state
            code = ""
        else:
            charges = Decimal(0)
            state, status, code = State.REJECTED, rejection.status, rejection.code
            refused[status] = refused.get(status, 0) + 1
        items.append(adapter.item(ident, o, p, mobile, iso, charges, status, submitted, code=code))
        yield adapter.row(index, o, p, extra, mobile, iso, price, charges, state, status, code)
    result.cost, result.accepted = total_cost, accepted


def submit(
    *,
    account,
    channel,
    product_code,
    outgoing,
    name="",
    schedule=None,
    idempotency_key=None,
    request_hash="",
    api_key=None,
    actor=None,
    source="api",
    tags=(),
    rules_version=None,
):
    """Accept a submission. Every message is scrubbed (`scrubbing`, as `quote` does; a batch that
    `persist.streams()` is scrubbed into its COPY); the accepted ones are persisted and then paid
    with one debit, in the same transaction; dispatch is queued after commit. A failure anywhere
    before the commit (a rule, the COPY, the debit) leaves no row and charges nothing. A retried
    request with the same idempotency key (per account, 24 h) returns the first answer and
    charges nothing; the same key with another request (`request_hash` differs) raises Conflict.
    An API send's actor is its key's holder, recorded on the batch and the debit."""
    adapter = channels.get(channel)
    now = timezone.now()
    if actor is None and api_key is not None:
        actor = api_key.holder
    if idempotency_key and (what := text.problem(idempotency_key)):  # from `custom`, stored with the batch
        raise ValidationFailed({"custom": [text.message("custom", what)]})
    if idempotency_key:
        earlier = _earlier(account, idempotency_key, now)
        if earlier:
            return _replay(earlier, idempotency_key, request_hash)
    if len(outgoing) <= settings.SEND_MAX_RECIPIENTS:  # a larger request is a 422 of its own (quote)
        budget.reserve(account, len(outgoing))
    # A batch PostgreSQL takes by COPY is scrubbed while the COPY runs: the server inserts and
    # indexes the rows on the other core while this one scrubs and formats the next ones. Smaller
    # sends are scrubbed first, so the transaction (shared by a group of pushes) stays short.
    stream = persist.streams(len(outgoing))
    group = uuid.uuid4()  # the batch's `group_id`, in every answer item's id
    plan, rows = scrubbing(
        account=account,
        channel=channel,
        product_code=product_code,
        outgoing=outgoing,
        schedule=schedule,
        tags=tags,
        rules_version=rules_version,
        now=now,
        group=str(group),
    )
    batch = Batch(
        uuid=group,
        account=account,
        api_key=api_key,
        created_by=actor,
        name=name[:200],
        source=source,
        product=plan.product,
        channel=channel,
        scheduled_at=schedule,
        idempotency_key=idempotency_key or None,
        request_hash=request_hash if idempotency_key else "",
        created_at=now,
    )
    if not stream:
        plan.rows = list(rows)
        _settle(batch, plan)  # the answer is stored with the batch in one INSERT

    def write():
        # Run again alone when its group is rolled back (group_commit): start from an unsaved batch.
        batch.pk, batch._state.adding = None, True
        batch.save()
        columns, written = persist.messages(
            adapter,
            batch,
            rows if stream else plan.rows,
            now=now,
            priority=plan.priority,
            product_code=plan.product.code,
            numbers=plan.numbers,
        )
        if stream:  # every recipient is scrubbed now: the totals and the answer are known
            _settle(batch, plan)
            batch.save(update_fields=_SETTLED)
        persist.refused(batch, plan.unpriced, now=now, product_code=plan.product.code)
        rollups.record_written(
            batch,
            columns=columns,
            rows=written,
            refused=plan.unpriced,
            product_code=plan.product.code,
            submitted_at=now,
        )
        if batch.accepted and not schedule:
            transaction.on_commit(lambda: enqueue(batch.pk, channel, plan.priority))
        # The debit is the last step (run after every other write of the group, and after the
        # COPY): its wallet row lock serialises the account's concurrent sends, so it is taken as
        # late as it can be.
        return pay if plan.cost > 0 else None

    def pay():
        credits.debit_new(
            account=account,
            amount=plan.cost,
            reason=f"{adapter.label} {batch.uuid} ({batch.accepted} message{pluralize(batch.accepted)})",
            reference=str(batch.uuid),
            actor=actor,
            api_key=api_key,
            key=f"batch:{batch.uuid}",
        )

    try:
        # A streamed batch commits alone: its write (the scrub included) is seconds long, pushes
        # grouped behind it would wait for it, and its rows cannot be scrubbed twice.
        if stream:
            group_commit.alone(write)
        else:
            group_commit.run(write)
    except IntegrityError:
        if idempotency_key:  # a concurrent identical request won the race: answer with its result
            earlier = Batch.objects.for_account(account).get(idempotency_key=idempotency_key)
            return _replay(earlier, idempotency_key, request_hash)
        raise
    return Submission(batch=batch, items=plan.items)


_SETTLED = ["total", "accepted", "cost", "unique_recipients", "response"]


def _settle(batch, plan):
    """The batch's totals and stored answer from a complete Quote."""
    items = plan.items
    batch.total, batch.accepted, batch.cost, batch.unique_recipients = plan.total, plan.accepted, plan.cost, plan.unique
    batch.response = {"data": items} if len(items) <= 1000 else {"data": items[:1000], "truncated": True}


def message_time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""
