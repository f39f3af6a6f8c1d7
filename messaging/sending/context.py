"""Load what scrubbing needs for one request: a few queries, whatever the number of recipients."""

from datetime import time, timedelta
from time import monotonic

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max

from messaging.dlt.matcher import TemplateMatcher
from messaging.pricing.services import price_table
from messaging.senders.models import ReviewStatus, Sender, Template
from messaging.sending.models import Message
from messaging.sending.scrub import ScrubContext
from messaging.suppressions.services import blocked_template_ids, unsubscribed_set

_MATCHERS = {}  # (account id, version) -> (matcher, key map); rebuilt when templates change


def _matcher(account):
    approved = Template.objects.for_account(account).filter(status=ReviewStatus.APPROVED)
    version = approved.aggregate(n=Count("id"), last=Max("updated_at"))
    key = (account.pk, version["n"], version["last"])
    if key not in _MATCHERS:
        rows = list(approved.order_by("created_at", "id").values_list("id", "template_id", "body"))
        matcher = TemplateMatcher([(pk, body) for pk, _, body in rows])
        if len(_MATCHERS) > 256:
            _MATCHERS.clear()
        _MATCHERS[key] = (matcher, {pk: dlt_id for pk, dlt_id, _ in rows})
    return _MATCHERS[key]


def _window():
    start, _, end = settings.PROMO_WINDOW.partition("-")
    end = end.strip()
    # "24:00" closes the window at midnight, so "00:00-24:00" allows the whole day.
    return time.fromisoformat(start.strip()), time.max if end == "24:00" else time.fromisoformat(end)


STATIC_TTL = 60.0  # seconds a process may reuse an account's senders, prices, templates and blocklist
_STATIC = {}


def invalidate(account=None):
    """Call after a change to senders, templates, blocked templates or prices (None: every
    account, e.g. the default rate card). Every process sees it through the shared cache. Bumped
    at once and again after commit, so a request that cached the old rules in between cannot keep
    them."""
    _bump(account)
    transaction.on_commit(lambda: _bump(account))


def _bump(account):
    key = f"scrub-version:{account.pk if account else 'all'}"
    if not cache.add(key, 1, timeout=None):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


def versions(account):
    """The account's rules version (one cache round trip). A request reads it once and passes it
    to `cached` and `build`, so every lookup of that request sees the same rules."""
    versions = cache.get_many([f"scrub-version:{account.pk}", "scrub-version:all"])
    return versions.get(f"scrub-version:{account.pk}"), versions.get("scrub-version:all")


def cached(account, name, load, version=None):
    """`load()` reused by this process until the account's rules change (`invalidate`) or
    STATIC_TTL passes. For rarely-changing lookups on the send path (enabled services, the
    service a sender is approved for); `None` results are not kept."""
    key = (account.pk, name, *(version or versions(account)))
    hit = _STATIC.get(key)
    now = monotonic()
    if hit and now - hit[0] < STATIC_TTL:
        return hit[1]
    value = load()
    if value is not None:
        if len(_STATIC) > 1024:
            _STATIC.clear()
        _STATIC[key] = (now, value)
    return value


def _static(account, service, version=None):
    """Rules data that changes rarely, reused by a process: a push SMS then costs a few queries
    instead of a dozen. Writes bump a version in the shared cache (`invalidate`), so a change is
    seen at once; the TTL only bounds memory of idle accounts. Opt-outs and the repetition rule
    are always read fresh."""
    key = (account.pk, service.pk, *(version or versions(account)))
    hit = _STATIC.get(key)
    now = monotonic()
    if hit and now - hit[0] < STATIC_TTL:
        return hit[1]
    approved = {
        name.upper()
        for name in Sender.objects.for_account(account)
        .filter(service=service, status=ReviewStatus.APPROVED)
        .values_list("name", flat=True)
    }
    data = {"approved": approved, "prices": price_table(account, service), "blocked": blocked_template_ids(account)}
    if service.requires_dlt:
        data["matcher"], data["keys"] = _matcher(account)
        data["by_dlt_id"] = {
            dlt_id: (sender, body)
            for dlt_id, sender, body in Template.objects.for_account(account)
            .filter(status=ReviewStatus.APPROVED)
            .exclude(template_id="")
            .values_list("template_id", "sender__name", "body")
        }
    if len(_STATIC) > 1024:
        _STATIC.clear()
    _STATIC[key] = (now, data)
    return data


def build(account, service, *, mobiles, senders, texts, tags=(), now, version=None):
    """`mobiles` and `senders` are the request's distinct numbers and sender IDs."""
    static = _static(account, service, version)
    mobiles, senders = list(mobiles), list(senders)
    ctx = ScrubContext(
        service_code=service.code,
        requires_dlt=service.requires_dlt,
        is_promotional=service.is_promotional,
        approved_senders=static["approved"],
        prices=static["prices"],
        # Opt-outs for everything, this service, the tags, and each sender (usually one sender).
        unsubscribed={
            sender.upper(): unsubscribed_set(
                account, "sms", mobiles, service_code=service.code, sender=sender, tags=tags
            )
            for sender in senders
        },
        blocked_template_ids=static["blocked"],
        promo_window=_window(),
    )
    if service.requires_dlt:
        ctx.matcher, ctx.template_ids_by_key = static["matcher"], static["keys"]
        ctx.templates_by_dlt_id = static["by_dlt_id"]
    # The repetition rule looks at what the same senders sent with the same texts in the window:
    # one query however many recipients.
    since = now - timedelta(minutes=settings.REPETITION_WINDOW_MINUTES)
    recent = Message.objects.for_account(account).filter(
        submitted_at__gte=since, sender__in=senders, text__in=list(texts)
    )
    ctx.recent = {(s.upper(), m, t) for s, m, t in recent.values_list("sender", "mobile", "text")}
    return ctx
