"""Compliance scrubbing: pure checks over data loaded once per request.

Each refusal carries the catalogued DLR status and code the customer sees on the message.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_timezones

from messaging.dlt.matcher import TemplateMatcher

# status -> DLR code, as catalogued
REJECTIONS = {
    "INV-NUMBER": "404",
    "NOTALLOWED": "459",
    "INV-SENDER": "454",
    "TEMPLATE-NOT-FOUND": "452",
    "INV-TEMPLATE": "453",
    "DLT-TM-VAR-EXECEED": "783",
    "DLT-TM-BLACKLST": "785",
    "OPTOUT-REJ": "456",
    "PROMO-TMOUT": "457",
    "DUPLICATE": "460",
}


@dataclass
class Rejection:
    status: str
    detail: str = ""

    @property
    def code(self):
        return REJECTIONS[self.status]


@dataclass
class ScrubContext:
    """What the checks need, loaded with a handful of queries before the loop."""

    service_code: str
    requires_dlt: bool
    is_promotional: bool
    approved_senders: set
    templates_by_dlt_id: dict = field(default_factory=dict)  # DLT id -> (sender name, body)
    matcher: TemplateMatcher | None = None
    template_ids_by_key: dict = field(default_factory=dict)  # matcher key -> DLT id
    blocked_template_ids: set = field(default_factory=set)
    unsubscribed: dict = field(default_factory=dict)  # sender (upper) -> numbers opted out for it
    recent: set = field(default_factory=set)  # (sender, mobile, text) sent inside the repetition window
    prices: dict = field(default_factory=dict)  # iso -> price per unit
    promo_window: tuple = (time(9), time(21))
    content_results: dict = field(default_factory=dict)  # (sender, text, template id) -> (rejection, dlt id)


@lru_cache(maxsize=4096)
def _zone_of(prefix):
    zones = number_timezones.time_zones_for_geographical_number(phonenumbers.parse("+" + prefix.ljust(12, "0")))
    return zones[0] if zones and zones[0] != "Etc/Unknown" else "UTC"


def local_time(mobile, at):
    """The recipient's local wall-clock time (by the number's prefix; cached per prefix)."""
    try:
        zone = _zone_of(mobile[:5])
    except Exception:  # noqa: BLE001 - an unparsable prefix falls back to UTC
        zone = "UTC"
    return at.astimezone(ZoneInfo(zone)).time()


def check(ctx, *, mobile, iso, sender, text, template_id="", send_at: datetime):
    """The first rule the message breaks, or None. Returns (rejection, dlt_template_id)."""
    if iso not in ctx.prices:
        return Rejection("NOTALLOWED", f"Sending to {iso or 'this destination'} is not enabled for your account."), ""
    key = (sender, text, template_id)
    content = ctx.content_results.get(key)
    if content is None:
        # Sender and text rules don't depend on the recipient: once per distinct message.
        content = ctx.content_results[key] = check_content(ctx, sender=sender, text=text, template_id=template_id)
    rejection, dlt_id = content
    if rejection is not None:
        return rejection, dlt_id
    if mobile in ctx.unsubscribed.get(sender.upper(), ()):
        return Rejection("OPTOUT-REJ", "The number has opted out."), dlt_id
    if ctx.is_promotional:
        start, end = ctx.promo_window
        now = local_time(mobile, send_at)
        if not (start <= now < end):
            return Rejection(
                "PROMO-TMOUT", f"Promotional messages are sent between {start:%H:%M} and {end:%H:%M} recipient time."
            ), dlt_id
    if (sender.upper(), mobile, text) in ctx.recent:
        return Rejection("DUPLICATE", "The same message went to this number moments ago."), dlt_id
    return None, dlt_id


def check_content(ctx, *, sender, text, template_id=""):
    """Sender, DLT template and blocklist rules. Returns (rejection or None, dlt_template_id)."""
    if sender.upper() not in ctx.approved_senders:
        return Rejection("INV-SENDER", f"{sender} is not an approved sender ID for service {ctx.service_code}."), ""
    dlt_id = ""
    if ctx.requires_dlt:
        if template_id:
            registered = ctx.templates_by_dlt_id.get(template_id)
            if registered is None:
                return Rejection("INV-TEMPLATE", f"Template {template_id} is not an approved template of yours."), ""
            dlt_id = template_id
            result = TemplateMatcher([(template_id, registered[1])]).match(text)
        else:
            result = ctx.matcher.match(text) if ctx.matcher else None
            if result is not None and result.matched:
                dlt_id = ctx.template_ids_by_key.get(result.template_key, "")
        if result is None or not result.matched:
            if result is not None and result.reason == "variable_too_long":
                return Rejection("DLT-TM-VAR-EXECEED", result.detail), dlt_id
            detail = result.detail if result is not None else "No approved template."
            return Rejection("TEMPLATE-NOT-FOUND", detail), dlt_id
    for blocked in (dlt_id, template_id):
        if blocked and blocked in ctx.blocked_template_ids:
            return Rejection("DLT-TM-BLACKLST", f"Template {blocked} is blocked on your account."), blocked
    return None, dlt_id
