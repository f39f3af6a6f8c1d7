"""Load what scrubbing needs for one request: a few queries, whatever the number of recipients."""

from datetime import time, timedelta

from django.conf import settings
from django.db.models import Count, Max

from messaging.channels.sms.scrub import ScrubContext
from messaging.dlt.matcher import TemplateMatcher
from messaging.pipeline.models import Message
from messaging.pricing.services import price_table
from messaging.senders.models import ReviewStatus, Sender, Template
from messaging.suppressions.services import blocked_template_ids, unsubscribed_set
from portal.core import rules

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


def _static(account, service, version=None):
    """Rules data that changes rarely, reused by a process: a push SMS then costs a few queries
    instead of a dozen. Writes bump the rules version (`portal.core.rules.bump`), so a change is
    seen at once. Opt-outs and the repetition rule are always read fresh."""
    return rules.cached(account, ("scrub", service.pk), lambda: _load_static(account, service), version)


def _load_static(account, service):
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
