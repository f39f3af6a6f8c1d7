"""Figures read from the rollups (never the message table): what the dashboard, the summary
API operations and the campaign report show."""

from datetime import date, datetime, time, timedelta

from django.db.models import Sum
from django.utils import timezone

from messaging.reports.models import MessageRollup
from messaging.reports.rollups import zone

DEFAULT_DAYS = 7  # a summary asked for without a range covers the last 7 days (today included)
MAX_DAYS = 92


def today(account, now=None):
    return (now or timezone.now()).astimezone(zone(account.time_zone)).date()


def default_range(account, now=None):
    end = today(account, now)
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def day_bounds(account, start, end):
    """The instants [start 00:00, the day after end 00:00) in the account's time zone."""
    tz = zone(account.time_zone)
    return datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz)


def rollups(account, start: date, end: date, **filters):
    """An account's rollup rows of local days [start, end]."""
    return MessageRollup.objects.for_account(account).filter(day__gte=start, day__lte=end, **filters)


def status_by_day(account, start, end, *, channel=None):
    """{day: {status: messages}} for local days [start, end], days without messages left out."""
    rows = rollups(account, start, end, **({"channel": channel} if channel else {}))
    out = {}
    for row in rows.values("day", "status").annotate(n=Sum("messages")).order_by("day", "status"):
        if row["n"]:
            out.setdefault(row["day"], {})[row["status"]] = row["n"]
    return out
