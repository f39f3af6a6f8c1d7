"""The scrub rules every channel shares, loaded once per request: prices (a destination without one
is not enabled), consent (opt-outs for the whole account, the product, the tags and each sender),
and the repetition rule (the same message to the same number moments ago).

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


def build(account, product, adapter, *, version, numbers, scopes, texts, tags=(), now):
    """`numbers` are the request's distinct E.164 numbers, `scopes` its distinct senders."""
    numbers, scopes = list(numbers), list(scopes)
    prices = rules.cached(account, ("prices", product.pk), lambda: price_table(account, product), version)
    suppressed = {
        scope.upper(): consent.suppressed_set(
            account, adapter.name, numbers, product_code=product.code, sender=scope or None, tags=tags
        )
        for scope in scopes
    }
    # One query however many recipients: what the same senders sent with the same texts lately.
    since = now - timedelta(minutes=settings.REPETITION_WINDOW_MINUTES)
    sent = Message.objects.for_account(account).filter(
        submitted_at__gte=since, channel=adapter.name, sender__in=scopes, text__in=list(texts)
    )
    recent = {(s.upper(), t, m) for s, m, t in sent.values_list("sender", "mobile", "text")}
    return CommonRules(prices=prices, suppressed=suppressed, recent=recent)
