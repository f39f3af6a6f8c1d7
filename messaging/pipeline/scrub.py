"""The scrub rules every channel shares, loaded once per request: prices (a destination without one
is not enabled), consent (opt-outs for the whole account, the product, the tags and each sender),
and the repetition rule (the same message to the same number moments ago).

Opt-outs and recent messages change with every send, so they are read fresh; sends committed
together (group commit) read them together (`Fresh`): one opt-out query and one query of recent
messages for the whole group, each send given what its own queries would have returned, plus the
rows of the sends ahead of it in the group, as if those had committed first.

The per-message checks run in `messaging.pipeline.submit.quote` in a fixed order around the
adapter's own rules: destination → the channel's content rules → consent → the channel's
recipient rules → repetition → duplicate in the request.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings

from messaging import consent
from messaging.pipeline.models import Message
from messaging.pricing.services import price_table
from portal.core import rules


@dataclass
class CommonRules:
    prices: dict = field(default_factory=dict)  # iso -> price per unit
    suppressed: dict = field(default_factory=dict)  # consent scope (sender, upper) -> opted-out numbers
    recent: set = field(default_factory=set)  # (sender, text, number) sent inside the repetition window


@dataclass
class Wanted:
    """What one send's scrub reads fresh. `numbers` are its distinct E.164 numbers, `scopes` its
    distinct senders (consent scopes), `texts` its distinct texts as stored."""

    account: object
    channel: str
    product_code: str
    numbers: list
    scopes: list
    texts: list
    tags: tuple
    now: object

    @property
    def since(self):
        return self.now - timedelta(minutes=settings.REPETITION_WINDOW_MINUTES)


class Fresh:
    """The opt-outs and recent messages of a group of sends (`Wanted`, in the group's order), read
    with one query each. `recent(i)` is what send i's own query would find once the sends before
    it had committed: the rows read, and the rows `written()` by sends 0..i-1 of the group."""

    def __init__(self, wanted):
        self.wanted = list(wanted)
        asks = [
            consent.Ask(w.account, w.channel, tuple(w.numbers), w.product_code, scope or None, tuple(w.tags))
            for w in self.wanted
            for scope in w.scopes
        ]
        found = iter(consent.suppressed_sets(asks))
        self._suppressed = [{scope.upper(): next(found) for scope in w.scopes} for w in self.wanted]
        self._sent = {}  # (account id, channel) -> [(account id, channel, sender, mobile, text, submitted_at)]
        if self.wanted:
            # Several accounts' messages in one read (a system-side read): `recent()` gives each
            # send only its own account's rows.
            sent = Message.objects.filter(
                account_id__in={w.account.pk for w in self.wanted},
                channel__in={w.channel for w in self.wanted},
                submitted_at__gte=min(w.since for w in self.wanted),
                sender__in={s for w in self.wanted for s in w.scopes},
                text__in={t for w in self.wanted for t in w.texts},
            ).values_list("account_id", "channel", "sender", "mobile", "text", "submitted_at")
            for row in sent:
                self._sent.setdefault(row[:2], []).append(row)

    def suppressed(self, i):
        return self._suppressed[i]

    def recent(self, i):
        """(sender upper, text, number) of the messages send i's repetition query would find: the
        same filter (account, channel, window, sender and text as given) over the rows at hand."""
        w = self.wanted[i]
        rows = self._sent.get((w.account.pk, w.channel), ())
        if len(self.wanted) == 1:  # a send alone: every row read is one its own query found
            return {(sender.upper(), text, mobile) for _, _, sender, mobile, text, _ in rows}
        scopes, texts, since = set(w.scopes), set(w.texts), w.since
        return {
            (sender.upper(), text, mobile)
            for _, _, sender, mobile, text, at in rows
            if sender in scopes and text in texts and at >= since
        }

    def written(self, i, columns, rows):
        """Send i's message rows (tuples in `columns` order, every state): the later sends of the
        group see them as a later request would see them committed."""
        if i == len(self.wanted) - 1:
            return  # no later send to see them
        w = self.wanted[i]
        target = (w.account.pk, w.channel)
        at = [columns.index(name) if name in columns else None for name in ("sender", "mobile", "text")]
        self._sent.setdefault(target, []).extend(
            (*target, *("" if j is None else row[j] for j in at), w.now) for row in rows
        )


def build(account, product, *, version, fresh, i):
    """The common rules of send i of `fresh` (a `Fresh` it belongs to)."""
    prices = rules.cached(account, ("prices", product.pk), lambda: price_table(account, product), version)
    return CommonRules(prices=prices, suppressed=fresh.suppressed(i), recent=fresh.recent(i))
