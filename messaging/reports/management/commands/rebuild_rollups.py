from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from messaging.reports import rollups


def _instant(text):
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Not a date or time: {text!r} (use YYYY-MM-DD or an ISO time).") from exc
    if len(text) == 10:
        parsed = datetime.combine(parsed.date(), time())
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Recount report rollups of a range of hours from the messages and replace them (docs/reports.md)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first hour (UTC date or ISO time); default: the beginning")
        parser.add_argument("--until", help="end, exclusive (UTC date or ISO time); default: now")
        parser.add_argument("--account", type=int, action="append", help="account id (repeatable); default: all")
        parser.add_argument("--check", action="store_true", help="only compare and list differences")

    def handle(self, *args, since=None, until=None, account=None, check=False, **options):
        start = _instant(since) if since else None
        end = _instant(until) if until else timezone.now()
        if start and start >= end:
            raise CommandError("--since must be before --until.")
        if check:
            compared, found = rollups.compare(account_ids=account, start=start, end=end)
            for key, want, have in found[:50]:
                self.stdout.write(f"{key}: expected {want}, stored {have}")
            self.stdout.write(f"{compared} keys compared, {len(found)} differ")
            return
        written = rollups.rebuild(account_ids=account, start=start, end=end)
        self.stdout.write(f"{written} rollup rows rebuilt")
