"""Accepting messages on any channel: validate, scrub, quote, pay once, persist, queue after commit.

`quote()` is the dry run: it runs every rule and prices every message without writing anything,
and `submit()` is the same scrub (`scrubbing()`, which `quote()` runs to the end) followed by the
rows and the debit. The composer's preview calls `quote()`, so what a page estimates is what the
send charges.

`submit()` hands its send to the process's group commit (`group_commit`): sends that arrive
together are accepted together by `accept()`, which does each step once for the group (the
idempotency lookup, the recipients budget, the scrub's reads, the transaction, one debit per
wallet, the dispatch) and answers every send as it would have been answered alone. A large
batch on PostgreSQL (`persist.streams()`) is accepted alone instead (`_streamed`), scrubbed while
its rows are COPYed (docs/sending.md, "The bulk accept path").
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.services import credits
from messaging.pipeline import budget, channels, group_commit, persist, scrub
from messaging.pipeline.channels import Refusal
from messaging.pipeline.models import SCHEDULED, Batch, Message, RefusedNumbers, State
from messaging.pipeline.queues import enqueue, enqueue_many
from messaging.reports import rollups
from messaging.services.products import ProductNotEnabled, require_product
from portal.core import rules, text
from portal.core.errors import Conflict, FieldErrors, ValidationFailed
from portal.core.phone_numbers import normalize_all

log = logging.getLogger(__name__)

SCHEDULE_MIN = timedelta(minutes=5)
REPLAY_WINDOW = timedelta(hours=24)  # an idempotency key answers its first request this long
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


@dataclass
class Draft:
    """A request checked and prepared (numbers normalised, contents analysed), before the reads
    of what every send changes (opt-outs, recent messages: `scrub.Fresh`)."""

    adapter: object
    account: object
    product: object
    outgoing: list
    schedule: object
    tags: tuple
    version: tuple
    now: object
    addresses: dict  # {as given: (E.164 digits, iso) or None}
    prepared: dict  # content key -> the adapter's prepared content

    def wanted(self):
        adapter, outgoing = self.adapter, self.outgoing
        return scrub.Wanted(
            account=self.account,
            channel=adapter.name,
            product_code=self.product.code,
            numbers=list({n[0] for n in self.addresses.values() if n}),
            scopes=list({adapter.consent_scope(o) for o in outgoing}),
            texts=list({adapter.text(p) for p in self.prepared.values()}),
            tags=tuple(self.tags),
            now=self.now,
        )


def draft(
    *, account, channel, product_code, outgoing, schedule=None, tags=(), rules_version=None, now=None, product=None
):
    """Check a request and prepare it for `price()`. Raises ValidationFailed for a request that
    cannot be sent at all (no recipients, unknown product, bad content)."""
    adapter = channels.get(channel)
    now = now or timezone.now()
    version = rules_version or rules.versions(account)
    product = product or _product(account, channel, product_code, version)
    outgoing = Messages(outgoing)
    _validate(adapter, outgoing, schedule, now)
    return Draft(
        adapter=adapter,
        account=account,
        product=product,
        outgoing=outgoing,
        schedule=schedule,
        tags=tags,
        version=version,
        now=now,
        addresses=normalize_all(map(_to, outgoing)),
        prepared=adapter.prepare(outgoing),
    )


def quote(**request):
    """Scrub and price every message of a request without writing anything (`draft()`'s
    arguments). Raises ValidationFailed for a request that cannot be sent at all; a message a
    rule refuses is answered with the rule's status, not raised."""
    prepared = draft(**request)
    return price(prepared, scrub.Fresh([prepared.wanted()]), 0)


def price(d, fresh, i, group=""):
    """Every message of draft `d`, scrubbed and priced: `d` is send i of `fresh` (the opt-outs
    and recent messages read for its group). Answer items are numbered by position, or
    `<group>:<position>` given the batch's `group`."""
    result, rows = scrubbing(d, fresh, i, group)
    result.rows = list(rows)
    return result


def scrubbing(d, fresh, i, group=""):
    """`price()` as a stream, for a send that writes its rows while it scrubs. Every query (prices,
    the channel's rules; the opt-outs and recent sends are in `fresh`) happens here, before any
    row; returns (the Quote, without rows, and an iterator of its rows). Consuming the iterator
    scrubs the recipients in order and fills the Quote's items, unpriced and refused as it goes,
    and its cost and accepted count at the end: the Quote is complete once the iterator is
    exhausted. It runs no query, so it can feed a COPY."""
    adapter, account, product, outgoing, now = d.adapter, d.account, d.product, d.outgoing, d.now
    version, addresses, prepared = d.version, d.addresses, d.prepared
    common = scrub.build(account, product, version=version, fresh=fresh, i=i)
    ctx = adapter.scrub_context(account, product, version=version, outgoing=outgoing, prepared=prepared, now=now)
    result = Quote(product=product, priority=adapter.priority(product, len(outgoing)))
    result.numbers = {n[0] for n in addresses.values() if n}
    # Over the distinct inputs only: what a row or a refused record stores as `mobile`.
    result.unique = len({n[0] if n else to.replace("\x00", "")[:16] for to, n in addresses.items()})
    return result, _scrubbed(result, d, common, ctx, group)


def _scrubbed(result, d, common, ctx, group):
    """The per-recipient rules of `scrubbing()`: yields each priced message's row."""
    adapter, outgoing, now, schedule = d.adapter, d.outgoing, d.now, d.schedule
    addresses, prepared = d.addresses, d.prepared
    key_of = adapter.content_key
    send_at = schedule or now
    submitted = message_time(now)
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
    """Accept a submission. Every message is scrubbed (`price`, as `quote` does; a batch that
    `persist.streams()` is scrubbed into its COPY); the accepted ones are persisted and then paid
    with one debit, in the same transaction; dispatch is queued after commit. A failure anywhere
    before the commit (a rule, the COPY, the debit) leaves no row and charges nothing. A retried
    request with the same idempotency key (per account, 24 h) returns the first answer and
    charges nothing; the same key with another request (`request_hash` differs) raises Conflict.
    An API send's actor is its key's holder, recorded on the batch and the debit.

    Concurrent sends of one process are accepted together (`group_commit`, `accept`); each gets
    the answer it would get alone. A streamed batch is accepted alone (`_streamed`)."""
    channels.get(channel)  # an unknown channel is the caller's error, raised here
    if actor is None and api_key is not None:
        actor = api_key.holder
    if idempotency_key and (what := text.problem(idempotency_key)):  # from `custom`, stored with the batch
        raise ValidationFailed({"custom": [text.message("custom", what)]})
    send = Send(
        account=account,
        channel=channel,
        product_code=product_code,
        outgoing=outgoing,
        name=name,
        schedule=schedule,
        idempotency_key=idempotency_key or None,
        request_hash=request_hash,
        api_key=api_key,
        actor=actor,
        source=source,
        tags=tags,
        rules_version=rules_version,
        now=timezone.now(),
    )
    try:
        if persist.streams(len(outgoing)):
            return _streamed(send)
        return _SENDS.run(send)
    except IntegrityError:
        if idempotency_key:  # a concurrent identical request won the race: answer with its result
            earlier = Batch.objects.for_account(account).get(idempotency_key=idempotency_key)
            return _replay(earlier, idempotency_key, request_hash)
        raise


@dataclass(eq=False)
class Send(group_commit.Member):
    """One `submit()` on its way through `accept`: its arguments, then what each step made."""

    account: object
    channel: str
    product_code: str
    outgoing: list
    name: str = ""
    schedule: object = None
    idempotency_key: str | None = None
    request_hash: str = ""
    api_key: object = None
    actor: object = None
    source: str = "api"
    tags: tuple = ()
    rules_version: tuple | None = None
    now: object = field(default_factory=timezone.now)
    reserved: bool = False  # its recipients are counted (never twice, even when handled again)
    plan: Quote | None = None
    batch: Batch | None = None

    def checked(self):
        return draft(
            account=self.account,
            channel=self.channel,
            product_code=self.product_code,
            outgoing=self.outgoing,
            schedule=self.schedule,
            tags=self.tags,
            rules_version=self.rules_version,
            now=self.now,
        )

    def prepare(self, plan, group):
        """The batch (`uuid` `group`, as in the answer's ids) that will hold `plan`, not yet
        settled (`_settle`)."""
        self.plan = plan
        self.batch = Batch(
            uuid=group,
            account=self.account,
            api_key=self.api_key,
            created_by=self.actor,
            name=self.name[:200],
            source=self.source,
            product=plan.product,
            channel=self.channel,
            scheduled_at=self.schedule,
            idempotency_key=self.idempotency_key,
            request_hash=self.request_hash if self.idempotency_key else "",
            created_at=self.now,
        )

    def rows(self):
        """Its message rows, for `persist.messages_many` (once its batch is saved)."""
        plan = self.plan
        return persist.Rows(
            channels.get(self.channel), self.batch, plan.rows, self.now, plan.priority, plan.product.code
        )

    def refused_records(self):
        plan = self.plan
        return persist.refused_records(self.batch, plan.unpriced, now=self.now, product_code=plan.product.code)

    def count(self, columns, rows, rollup):
        """Its rollups, added to `rollup` from the rows written (nothing read back)."""
        plan = self.plan
        rollups.record_written(
            self.batch,
            columns=columns,
            rows=rows,
            refused=plan.unpriced,
            product_code=plan.product.code,
            submitted_at=self.now,
            into=rollup,
        )

    def charge(self):
        batch, label = self.batch, channels.get(self.channel).label
        return credits.Charge(
            account=self.account,
            amount=self.plan.cost,
            reason=f"{label} {batch.uuid} ({batch.accepted} message{pluralize(batch.accepted)})",
            key=f"batch:{batch.uuid}",
            actor=self.actor,
            api_key=self.api_key,
            reference=str(batch.uuid),
        )

    @property
    def dispatched(self):
        return bool(self.batch.accepted) and not self.schedule


def accept(sends):
    """Accept a group of sends (in arrival order; `group_commit`), each step done once for the
    group: the idempotency lookup, the recipients budget, the scrub's reads of opt-outs and recent
    messages, one transaction for every batch, one debit per wallet, one dispatch task per queue.
    Each send is answered as it would be alone, after the sends ahead of it: a retried request
    replays, a refused one fails alone, a repeat of an earlier member's message is REPEATED."""
    sends = _replays(sends)
    sends = _reserve(sends)
    sends = _plan(sends)
    if sends:
        _commit(sends)


def _replays(sends):
    """Retried requests get their first answer (one query for the group). A second member with
    the key of an earlier one waits for it, then replays it (`alone`)."""
    keyed = [s for s in sends if s.idempotency_key]
    if not keyed:
        return sends
    # Several accounts' batches in one read (a system-side read): each is matched to its own
    # account's key below, never to another account's.
    earlier = {
        (b.account_id, b.idempotency_key): b
        for b in Batch.objects.filter(
            account_id__in={s.account.pk for s in keyed},
            idempotency_key__in={s.idempotency_key for s in keyed},
            created_at__gte=min(s.now for s in keyed) - REPLAY_WINDOW,
        )
    }
    live, taken = [], set()
    for send in sends:
        key = (send.account.pk, send.idempotency_key)
        if send.idempotency_key:
            first = earlier.get(key)
            if first is not None and first.created_at >= send.now - REPLAY_WINDOW:
                first.account = send.account  # the caller's own account object, as a lookup by it gives
                send.result = _answer(send, lambda s=send, b=first: _replay(b, s.idempotency_key, s.request_hash))
                continue
            if key in taken:
                send.alone = True
                continue
            taken.add(key)
        live.append(send)
    return live


def _reserve(sends):
    """The group's recipients counted against each account's budget (one round trip)."""
    counting = [s for s in sends if not s.reserved and len(s.outgoing) <= settings.SEND_MAX_RECIPIENTS]
    # A larger request is a 422 of its own (draft), before any budget.
    refusals = budget.reserve_many([(s.account, len(s.outgoing)) for s in counting])
    for send, refusal in zip(counting, refusals, strict=True):
        send.reserved = True
        send.error = refusal
    return [s for s in sends if s.error is None]


def _plan(sends):
    """Each send checked, scrubbed and priced, in order, from reads shared by the group; the rows
    of each are seen by the repetition rule of the sends after it."""
    drafts = []
    for send in sends:
        if (d := _answer(send, send.checked)) is not None:
            drafts.append((send, d))
    fresh = scrub.Fresh([d.wanted() for _, d in drafts])
    planned = []
    for i, (send, d) in enumerate(drafts):
        group = uuid.uuid4()  # the batch's `group_id`, in every answer item's id
        plan = _answer(send, lambda d=d, i=i, g=str(group): price(d, fresh, i, g))
        if plan is None:
            continue
        send.prepare(plan, group)
        _settle(send.batch, plan)  # the answer is stored with the batch in one INSERT
        fresh.written(i, d.adapter.columns, plan.rows)
        planned.append(send)
    return planned


def _answer(send, step):
    """`step()`'s value, or None: an error of the step is the send's answer, and the group goes
    on without it."""
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - the send's own answer, raised to its caller
        send.error = exc
        return None


def _commit(sends):
    """One transaction: every batch and its rows (`_write`), then one debit per wallet (the
    wallet row lock, which serialises an account's sends, held for the shortest time), one
    commit, then the dispatch. If anything in it fails, each send is handled again alone
    (`group_commit`), so the failure is answered to the send it belongs to, exactly as without
    grouping."""
    committed = []
    try:
        with transaction.atomic():
            # First of the hooks after the commit: once it has run, the writes are durable, and a
            # later hook's failure (queueing dispatch) must not run them again.
            transaction.on_commit(lambda: committed.append(True))
            _write(sends)
            charges = [send.charge() for send in sends if send.plan.cost > 0]
            if charges:
                credits.debit_many(charges)
            transaction.on_commit(lambda: _dispatch(sends))
    except Exception as exc:  # noqa: BLE001 - handed to the caller, or retried alone
        if not committed:
            for send in sends:  # handled again, a send plans afresh: a new batch, unsaved
                if len(sends) == 1:
                    send.error = exc
                else:
                    send.alone = True
            return
        # Committed; a batch whose dispatch was not queued is picked up by the sweep.
        log.exception("a hook after a group commit failed")
    for send in sends:
        send.result = Submission(batch=send.batch, items=send.plan.items)


def _write(sends):
    """Every send's batch (one INSERT), message rows (one INSERT for the small batches, a COPY
    for each large one), refused numbers (one INSERT) and rollups (one upsert)."""
    batches = [send.batch for send in sends]
    if connection.features.can_return_rows_from_bulk_insert:
        Batch.objects.bulk_create(batches)
    else:
        for batch in batches:
            batch.save()
    written = persist.messages_many([send.rows() for send in sends])
    refused = [record for send in sends for record in send.refused_records()]
    if refused:
        RefusedNumbers.objects.bulk_create(refused)
    rollup = rollups.Deltas()
    for send, (columns, rows) in zip(sends, written, strict=True):
        send.count(columns, rows, rollup)
    rollups.apply(rollup)


def _dispatch(sends):
    """One dispatch task per queue for the group's batches (one batch: the single-batch task)."""
    queued = {}
    for send in sends:
        if send.dispatched:
            queued.setdefault((send.channel, send.plan.priority), []).append(send.batch.pk)
    for (channel, priority), ids in queued.items():
        if len(ids) == 1:
            enqueue(ids[0], channel, priority)
        else:
            enqueue_many(ids, channel, priority)


_SENDS = group_commit.GroupCommit(accept)


def _streamed(send):
    """Accept a send whose batch `persist.streams()`, alone and outside the group commit: its
    scrub runs inside the transaction, into the COPY, so the write is seconds long (pushes grouped
    behind it would wait) and its rows cannot be scrubbed twice. The same steps as `accept`, for
    one send: the replay, the budget, the scrub's reads, then the batch, the rows as they are
    scrubbed, the totals, the refused numbers, the rollups and the debit last (its wallet row lock
    held for the shortest time), dispatch after the commit. A failure before the commit (a rule,
    the COPY, the debit) leaves no row and charges nothing."""
    if send.idempotency_key:
        _replays([send])
        if send.result is not None or send.error is not None:
            return send.outcome()
    _reserve([send])
    if send.error is not None:
        raise send.error
    d = send.checked()
    group = uuid.uuid4()
    plan, rows = scrubbing(d, scrub.Fresh([d.wanted()]), 0, str(group))
    send.prepare(plan, group)
    batch, product_code = send.batch, plan.product.code
    with transaction.atomic():
        batch.save()
        columns, written = persist.messages(
            d.adapter,
            batch,
            rows,
            now=send.now,
            priority=plan.priority,
            product_code=product_code,
            numbers=plan.numbers,
        )
        _settle(batch, plan)  # every recipient is scrubbed now: the totals and the answer are known
        batch.save(update_fields=_SETTLED)
        persist.refused(batch, plan.unpriced, now=send.now, product_code=product_code)
        rollups.record_written(
            batch,
            columns=columns,
            rows=written,
            refused=plan.unpriced,
            product_code=product_code,
            submitted_at=send.now,
        )
        if plan.cost > 0:
            credits.debit_many([send.charge()])
        if send.dispatched:
            transaction.on_commit(lambda: enqueue(batch.pk, send.channel, plan.priority))
    return Submission(batch=batch, items=plan.items)


_SETTLED = ["total", "accepted", "cost", "unique_recipients", "response"]


def _settle(batch, plan):
    """The batch's totals and stored answer from a complete Quote."""
    items = plan.items
    batch.total, batch.accepted, batch.cost, batch.unique_recipients = plan.total, plan.accepted, plan.cost, plan.unique
    batch.response = {"data": items} if len(items) <= 1000 else {"data": items[:1000], "truncated": True}


def message_time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""
