from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from messaging.operators import services
from portal.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Load operator number ranges (iso,prefix,operator) or, with --ported, ported numbers (mobile,operator)."

    def add_arguments(self, parser):
        parser.add_argument("csv", type=Path)
        parser.add_argument("--ported", action="store_true")

    def handle(self, *args, csv, ported, **options):
        try:
            count = services.load(csv.read_text(encoding="utf-8-sig"), kind="ported" if ported else "prefixes")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {csv}: {exc}") from None
        except ValidationFailed as exc:
            raise CommandError("\n".join(m for ms in exc.errors.values() for m in ms)) from None
        self.stdout.write(f"{count} entries loaded.")
