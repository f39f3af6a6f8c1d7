"""Short links for `tiny` sends, and their visits.

`shorten()` is pure: it swaps each URL of a text for a short one and says which codes to save, so
the send path can count units on the text that is really sent. `save_links()` stores them in the
send's transaction; `record_visit()` counts a click and announces it (`link:visit`) to the link's
webhook and callback URL through the event outbox."""

import re
import secrets
import string

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.brands.addresses import short_url_base
from accounts.brands.resolve import brand_for_account
from messaging.events import LINK_VISIT
from messaging.links.models import Link, Visit
from portal.core.events.services import emit

CODE_LENGTH = 7  # as in the catalog's example short URLs
_ALPHABET = string.ascii_letters + string.digits
# A URL runs to the next blank; punctuation that usually ends a sentence is not part of it.
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def short_url(code, base=None):
    """The short URL of `code` on the active brand's short-link domain (accounts.brands.addresses)."""
    return f"{base or short_url_base()}/{code}"


def new_code():
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def find_urls(text):
    """The http(s) URLs of a text, in order, without sentence punctuation."""
    return [match.rstrip(_TRAILING) for match in _URL.findall(text or "")]


def shorten(text):
    """(text with every http(s) URL replaced by a short URL, [(code, long URL), ...]). A URL that
    appears twice gets one code. Short URLs already in the text are left alone."""
    codes = {}
    base = short_url_base()
    prefix = base + "/"
    for url in find_urls(text):
        if url not in codes and not url.startswith(prefix) and len(url) <= 2000:
            codes[url] = new_code()
    # Longest first, so a URL that is the prefix of another is not replaced inside it.
    for url in sorted(codes, key=len, reverse=True):
        text = text.replace(url, short_url(codes[url], base))
    return text, [(code, url) for url, code in codes.items()]


def save_links(*, account, pairs, batch=None, message_index=None, mobile="", callback_url="", webhook_id=""):
    """Store the links `shorten()` made for one send. Call inside the send's transaction."""
    Link.objects.bulk_create(
        [
            Link(
                account=account,
                code=code,
                long_url=url,
                batch=batch,
                message_index=message_index,
                mobile=mobile,
                callback_url=callback_url,
                webhook_id=str(webhook_id or ""),
                title=f"SMS {batch.uuid}" if batch else "",
            )
            for code, url in pairs
        ]
    )


def resolve(code):
    """The active link for a code, or None."""
    return Link.objects.filter(code=code, is_active=True).select_related("batch").first()


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_PLATFORMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"), ("Mac OS", "Mac"))
_BOTS = ("bot", "crawler", "spider", "preview", "facebookexternalhit", "whatsapp", "slurp")


def describe_agent(user_agent):
    """(browser, platform, device_type) from a User-Agent, coarse on purpose: enough for reports."""
    agent = user_agent or ""
    lowered = agent.lower()
    browser = next((name for token, name in _BROWSERS if token in agent), "")
    platform = next((name for token, name in _PLATFORMS if token in agent), "Linux" if "Linux" in agent else "")
    if any(bot in lowered for bot in _BOTS):
        device = "bot"
    elif "iPad" in agent or "Tablet" in agent:
        device = "tablet"
    elif "Mobile" in agent or platform in ("Android", "iOS"):
        device = "smartphone"
    else:
        device = "desktop" if agent else ""
    return browser, platform, device


def record_visit(*, link, client_ip="", user_agent="", referer=""):
    """Count one visit and announce it, in one transaction (the event cannot be lost or sent for
    a visit that was not saved)."""
    browser, platform, device = describe_agent(user_agent)
    now = timezone.now()
    with transaction.atomic():
        Link.objects.filter(pk=link.pk).update(visits=F("visits") + 1, last_visited=now)
        visit = Visit.objects.create(
            account_id=link.account_id,
            link=link,
            client_ip=client_ip,
            user_agent=user_agent[:500],
            referer=referer[:500],
            browser=browser,
            platform=platform,
            device_type=device,
        )
        if link.callback_url or link.webhook_id:
            emit(
                account=link.account,
                type=LINK_VISIT,
                payload=visit_payload(link, visit),
                webhook_id=link.webhook_id,
                callback_url=link.callback_url,
            )
    return visit


def visit_payload(link, visit):
    """The catalog's visit callback (flat JSON), plus which message the link was sent in."""
    message_id = f"{link.batch.uuid}:{link.message_index}" if link.batch and link.message_index else ""
    return {
        "id": str(visit.uuid),
        "link_id": link.pk,
        "short_url": short_url(link.code, short_url_base(brand_for_account(link.account))),
        "long_url": link.long_url,
        "user_agent": visit.user_agent,
        "browser": visit.browser,
        "browser_version": "",
        "platform": visit.platform,
        "device_type": visit.device_type,
        "device_brand": "",
        "country": "",
        "country_code": "",
        "region": "",
        "city": "",
        "mobile": link.mobile,
        "message_id": message_id,
        "transactionID": (link.batch.idempotency_key or "").removeprefix("engage:") if link.batch else "",
        "created_at": timezone.localtime(visit.created_at).strftime("%Y-%m-%d %H:%M:%S"),
    }
