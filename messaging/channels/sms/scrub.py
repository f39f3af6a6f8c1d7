"""The SMS channel's scrub rules: pure checks over data loaded once per request (`context.py`).

The rules every channel shares (destination enabled, consent, repetition, duplicates) run in the
pipeline (`messaging.pipeline.scrub`); these are SMS's own: approved sender IDs, DLT templates,
blocked templates and the promotional time window. Each refusal carries the catalogued DLR status
and code the customer sees on the message.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_timezones

from messaging.dlt.matcher import TemplateMatcher
from messaging.pipeline.channels import Rejection

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
    "REJECTED": "458",
}


def rejection(status, detail=""):
    return Rejection(status, REJECTIONS[status], detail)


@dataclass
class SmsRules:
    """What SMS's checks need, loaded with a handful of queries before the loop."""

    product_code: str
    requires_dlt: bool
    is_promotional: bool
    approved_senders: set
    templates_by_dlt_id: dict = field(default_factory=dict)  # DLT id -> (sender name, body)
    matcher: TemplateMatcher | None = None
    template_ids_by_key: dict = field(default_factory=dict)  # matcher key -> DLT id
    blocked_template_ids: set = field(default_factory=set)
    promo_window: tuple = (time(9), time(21))


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


def check_window(ctx, mobile, send_at: datetime):
    """Promotional messages only inside the window, in the recipient's local time."""
    if not ctx.is_promotional:
        return None
    start, end = ctx.promo_window
    now = local_time(mobile, send_at)
    if not (start <= now < end):
        return rejection(
            "PROMO-TMOUT", f"Promotional messages are sent between {start:%H:%M} and {end:%H:%M} recipient time."
        )
    return None


def check_content(ctx, *, sender, text, template_id=""):
    """Sender, DLT template and blocklist rules. Returns (rejection or None, dlt_template_id)."""
    if sender.upper() not in ctx.approved_senders:
        return rejection("INV-SENDER", f"{sender} is not an approved sender ID for service {ctx.product_code}."), ""
    dlt_id = ""
    if ctx.requires_dlt:
        if template_id:
            registered = ctx.templates_by_dlt_id.get(template_id)
            if registered is None:
                return rejection("INV-TEMPLATE", f"Template {template_id} is not an approved template of yours."), ""
            dlt_id = template_id
            result = TemplateMatcher([(template_id, registered[1])]).match(text)
        else:
            result = ctx.matcher.match(text) if ctx.matcher else None
            if result is not None and result.matched:
                dlt_id = ctx.template_ids_by_key.get(result.template_key, "")
        if result is None or not result.matched:
            if result is not None and result.reason == "variable_too_long":
                return rejection("DLT-TM-VAR-EXECEED", result.detail), dlt_id
            detail = result.detail if result is not None else "No approved template."
            return rejection("TEMPLATE-NOT-FOUND", detail), dlt_id
    for blocked in (dlt_id, template_id):
        if blocked and blocked in ctx.blocked_template_ids:
            return rejection("DLT-TM-BLACKLST", f"Template {blocked} is blocked on your account."), blocked
    return None, dlt_id
