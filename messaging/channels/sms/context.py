"""Load what SMS's scrub rules need for one request: a few queries, whatever the number of
recipients. Sender IDs, templates and blocklists change rarely: a process reuses them under the
account's rules version (`portal.core.rules`), which every change to them bumps."""

from datetime import time

from django.conf import settings
from django.db.models import Count, Max

from messaging.channels.sms.scrub import SmsRules
from messaging.dlt.matcher import TemplateMatcher
from messaging.senders.models import ReviewStatus, Sender, Template
from messaging.suppressions.services import blocked_template_ids
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


def _load(account, product):
    approved = {
        name.upper()
        for name in Sender.objects.for_account(account)
        .filter(product=product, status=ReviewStatus.APPROVED)
        .values_list("name", flat=True)
    }
    data = {"approved": approved, "blocked": blocked_template_ids(account)}
    if product.requires_dlt:
        data["matcher"], data["keys"] = _matcher(account)
        data["by_dlt_id"] = {
            dlt_id: (sender, body)
            for dlt_id, sender, body in Template.objects.for_account(account)
            .filter(status=ReviewStatus.APPROVED)
            .exclude(template_id="")
            .values_list("template_id", "sender__name", "body")
        }
    return data


def build(account, product, *, version=None):
    static = rules.cached(account, ("sms-rules", product.pk), lambda: _load(account, product), version)
    ctx = SmsRules(
        product_code=product.code,
        requires_dlt=product.requires_dlt,
        is_promotional=product.is_promotional,
        approved_senders=static["approved"],
        blocked_template_ids=static["blocked"],
        promo_window=_window(),
    )
    if product.requires_dlt:
        ctx.matcher, ctx.template_ids_by_key = static["matcher"], static["keys"]
        ctx.templates_by_dlt_id = static["by_dlt_id"]
    return ctx
