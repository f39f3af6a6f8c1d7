from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from messaging.pipeline import partitions, retention


def _size(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


class Command(BaseCommand):
    help = (
        "Create the message table's months ahead, blank bodies older than MESSAGE_BODY_RETENTION_DAYS and "
        "drop whole months older than MESSAGE_RETENTION_DAYS (docs/reports.md, Retention). Rollups stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only show what would be dropped and blanked")

    def handle(self, *args, dry_run=False, **options):
        try:
            current, done = retention.run(dry_run=dry_run)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        layout = "monthly partitions" if partitions.supported() else "one table (no partitions)"
        self.stdout.write(f"message table: {layout}")
        if not current.days:
            self.stdout.write("MESSAGE_RETENTION_DAYS is 0: no month is dropped")
        elif not current.months:
            self.stdout.write(f"nothing submitted before {current.drop_before:%Y-%m-%d} to drop")
        verb = "would drop" if dry_run else "dropped"
        for month in current.months:
            where = month.partition or "rows"
            self.stdout.write(f"{verb} {month.start:%Y-%m} ({where}): {month.rows} rows, {_size(month.bytes)}")
        if current.bodies_before:
            blanked = sum(r.rows for r in done if r.kind == "bodies")
            counted = f": {blanked} messages" if not dry_run else ""
            verb = "would blank" if dry_run else "blanked"
            self.stdout.write(f"{verb} bodies submitted before {current.bodies_before:%Y-%m-%d %H:%M}{counted}")
